import Proxy
print("ringbench: not built yet")
