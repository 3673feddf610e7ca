/// Relaying a received syslog message (a log-forward section), as HAProxy 2.6's
/// process_send_log: to every logger whose level accepts the message's (a message without
/// `<PRI>` goes to all), sampled like any logger, with the message's facility (the logger's for
/// a message without one) and its level raised to the logger's minimum; the
/// header is rebuilt from the message's own fields (RelayedLogHeader).
extension SyslogSender {
    public func relay(_ bytes: UnsafeRawBufferPointer, _ m: SyslogMessage, to loggers: [LogTarget],
                      nowUs: Int64 = WallClock.nowUs()) {
        let message = UnsafeRawBufferPointer(rebasing: bytes[m.message])
        for l in loggers {
            if m.level > l.maxLevel { continue }
            if let s = l.sampler, !s.take() { continue }
            let level = max(m.level, l.minLevel)
            let facility = m.facility == -1 ? l.facility : m.facility
            switch routes[l.destination] {
            case .datagram(let batch, let address):
                guard let room = batch.reserve(l.maxLength + 1, ringSend: ringSend) else { batch.dropped += 1; continue }
                var out = LogBuffer(room)
                let left = RelayedLogHeader.write(l.format, level: level, facility: facility, message: m, bytes: bytes,
                                                  nowUs: nowUs, limit: l.maxLength, dates: &dates, into: &out)
                out.bytes(UnsafeRawBufferPointer(rebasing: message[message.startIndex..<message.startIndex + min(message.count, left)]))
                out.byte(UInt8(ascii: "\n"))
                batch.commit(length: out.count, to: address)
            case .line(let batch):
                guard let room = batch.reserve(l.maxLength) else { batch.dropped += 1; continue }
                var out = LogBuffer(room)
                RelayedLogHeader.write(l.format, level: level, facility: facility, message: m, bytes: bytes,
                                       nowUs: nowUs, dates: &dates, into: &out)
                out.bytes(message)
                if out.count > l.maxLength - 1 { out.truncate(to: l.maxLength - 1) }
                out.byte(UInt8(ascii: "\n"))
                batch.commit(length: out.count)
            case .ring(let batch):
                // The logger's `len` cuts the message; the ring's format (raw: no header) and
                // maxlen make the line.
                let ring = batch.ring
                guard let room = batch.reserve(ring.maxLength + 1) else { continue }
                var out = LogBuffer(room)
                if ring.format != .raw {
                    RelayedLogHeader.write(ring.format, level: level, facility: facility, message: m, bytes: bytes,
                                           nowUs: nowUs, dates: &dates, into: &out)
                }
                out.bytes(UnsafeRawBufferPointer(rebasing: message[message.startIndex..<message.startIndex + min(message.count, l.maxLength)]))
                if out.count > ring.maxLength { out.truncate(to: ring.maxLength) }
                batch.commit(length: out.count)
            case .none:
                break
            }
        }
    }
}
