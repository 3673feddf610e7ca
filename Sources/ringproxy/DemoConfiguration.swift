// The reference configuration (spec/seed.cfg, HAProxy 1.4 syntax, exactly as published apart
// from the U+00A0 spaces), embedded so the demo runs the real proxy on the real file. The demo
// only rewrites addresses to loopback ports and drops the lines that need root (Demo.swift).

enum DemoConfiguration {
    static let reference = #"""
global
        log     127.0.0.1 local0 info
        maxconn 4096
        user    haproxy
        group   haproxy
        daemon
        nbproc  1
        pidfile /var/run/haproxy.pid
defaults
        mode    http
        maxconn         2000
        contimeout      5000
        clitimeout      30000
        srvtimeout      30000
        option          httplog
        option          redispatch
        option          abortonclose
        retries         3
listen admin_stats
        bind 113.106.185.245:443
        mode http
        log 127.0.0.1 local0 err
        stats   uri     /qhappy_stats
        stats   realm   9ai9.net\ Qhappy
        stats   auth    qhappy:qhappy
        stats   refresh   5s
listen site_status
        bind 113.106.185.245:445
        mode http
        log  127.0.0.1 local0 err
        monitor-uri     /site_status
frontend  WEB_SITE
        bind    0.0.0.0:8080
        mode    http
        log     global
        option  httplog
        option  httpclose
        option  forwardfor
        acl     COOKIE          hdr_reg(host)   -i ^(cookie.9ai9.net)
        acl     SOURCE          hdr_reg(host)   -i ^(sourceip.9ai9.net)
        acl     APPSESSION      hdr_reg(host)   -i ^(appsession.9ai9.net)
        acl     NOSESSION       hdr_reg(host)   -i ^(nosession.9ai9.net)
        use_backend COOKIE_srv          if COOKIE
        use_backend SOURCE_srv          if SOURCE
        use_backend APPSESSION_srv      if APPSESSION
        use_backend NOSESSION_srv       if NOSESSION
#        default_backend ai_server
backend COOKIE_srv
        mode    http
        cookie  SESSION_COOKIE  insert indirect nocache
       server REALsrv_70       184.82.239.70:80 cookie 11 check inter 1500 rise 3 fall 3 weight 1
       server REALsrv_120      220.162.237.120:80 cookie 12 check inter 1500 rise 3 fall 3 weight 1
backend SOURCE_srv
        mode    http
       balance source
       server REALsrv_70       184.82.239.70:80 cookie 11 check inter 1500 rise 3 fall 3 weight 1
       server REALsrv_120      220.162.237.120:80 cookie 12 check inter 1500 rise 3 fall 3 weight 1
backend APPSESSION_srv
       mode    http
       appsession 9ai9 len 64 timeout 5h request-learn
       server REALsrv_70       184.82.239.70:80 cookie 11 check inter 1500 rise 3 fall 3 weight 1
       server REALsrv_120      220.162.237.120:80 cookie 12 check inter 1500 rise 3 fall 3 weight 1

backend NOSESSION_srv
       mode    http
        balance roundrobin
       server REALsrv_70       184.82.239.70:80 cookie 11 check inter 1500 rise 3 fall 3 weight 1
       server REALsrv_120      220.162.237.120:80 cookie 12 check inter 1500 rise 3 fall 3 weight 1
backend ai_server
       mode    http
       balance roundrobin
       cookie  SERVERID
       server REALsrv_70 184.82.239.70:80 cookie 2 check inter 1500 rise 3 fall 3 weight 1
       server REALsrv_120 220.162.237.120:80 cookie 1 check inter 1500 rise 3 fall 3 weight 1
"""#
}
