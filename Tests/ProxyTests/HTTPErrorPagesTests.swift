import Testing
@testable import Proxy

/// The bytes HAProxy 2.6.12 (Debian 2.6.12-1+deb12u4) sent on the wire, captured with a raw
/// socket client on 127.0.0.1 (close mode: `option httpclose` frontend; keep-alive: default
/// mode; the stats listen with `stats realm 9ai9.net\ Qhappy`; a `monitor-uri` listen).
/// 403 and 500 came from `http-request deny deny_status 403|500`, 408 from a client that
/// sent nothing, 502 from a server closing at once, 503 with no server, 504 from a server
/// sleeping past `timeout server`, 422 from `Transfer-Encoding: gzip, chunked`.
enum Observed26 {
    static let badRequest = "HTTP/1.1 400 Bad request\r\nContent-length: 90\r\nCache-Control: no-cache\r\nConnection: close\r\nContent-Type: text/html\r\n\r\n<html><body><h1>400 Bad request</h1>\nYour browser sent an invalid request.\n</body></html>\n"
    static let requestTimeout = "HTTP/1.1 408 Request Time-out\r\nContent-length: 110\r\nCache-Control: no-cache\r\nConnection: close\r\nContent-Type: text/html\r\n\r\n<html><body><h1>408 Request Time-out</h1>\nYour browser didn't send a complete request in time.\n</body></html>\n"
    /// HAProxy 2.6.12's answer to `GET / HTTP/1.0` with `Content-Length: 1` (socat, on the wire).
    static let payloadTooLarge = "HTTP/1.1 413 Payload Too Large\r\nContent-length: 106\r\nCache-Control: no-cache\r\nContent-Type: text/html\r\n\r\n<html><body><h1>413 Payload Too Large</h1>\nThe request entity exceeds the maximum allowed.\n</body></html>\n"
    static let unprocessable = "HTTP/1.1 422 Unprocessable Content\r\nContent-length: 116\r\nCache-Control: no-cache\r\nContent-Type: text/html\r\n\r\n<html><body><h1>422 Unprocessable Content</h1>\nThe server cannot process the contained instructions.\n</body></html>\n"
    static let forbiddenClose = "HTTP/1.1 403 Forbidden\r\ncontent-length: 93\r\ncache-control: no-cache\r\ncontent-type: text/html\r\nconnection: close\r\n\r\n<html><body><h1>403 Forbidden</h1>\nRequest forbidden by administrative rules.\n</body></html>\n"
    static let internalErrorClose = "HTTP/1.1 500 Internal Server Error\r\ncontent-length: 97\r\ncache-control: no-cache\r\ncontent-type: text/html\r\nconnection: close\r\n\r\n<html><body><h1>500 Internal Server Error</h1>\nAn internal server error occurred.\n</body></html>\n"
    static let badGatewayClose = "HTTP/1.1 502 Bad Gateway\r\ncontent-length: 107\r\ncache-control: no-cache\r\ncontent-type: text/html\r\nconnection: close\r\n\r\n<html><body><h1>502 Bad Gateway</h1>\nThe server returned an invalid or incomplete response.\n</body></html>\n"
    static let serviceUnavailableClose = "HTTP/1.1 503 Service Unavailable\r\ncontent-length: 107\r\ncache-control: no-cache\r\ncontent-type: text/html\r\nconnection: close\r\n\r\n<html><body><h1>503 Service Unavailable</h1>\nNo server is available to handle this request.\n</body></html>\n"
    static let gatewayTimeoutClose = "HTTP/1.1 504 Gateway Time-out\r\ncontent-length: 92\r\ncache-control: no-cache\r\ncontent-type: text/html\r\nconnection: close\r\n\r\n<html><body><h1>504 Gateway Time-out</h1>\nThe server didn't respond in time.\n</body></html>\n"
    static let serviceUnavailableKeepAlive11 = "HTTP/1.1 503 Service Unavailable\r\ncontent-length: 107\r\ncache-control: no-cache\r\ncontent-type: text/html\r\n\r\n<html><body><h1>503 Service Unavailable</h1>\nNo server is available to handle this request.\n</body></html>\n"
    static let serviceUnavailableKeepAlive10 = "HTTP/1.1 503 Service Unavailable\r\ncontent-length: 107\r\ncache-control: no-cache\r\ncontent-type: text/html\r\nconnection: keep-alive\r\n\r\n<html><body><h1>503 Service Unavailable</h1>\nNo server is available to handle this request.\n</body></html>\n"
    static let unauthorized11 = "HTTP/1.1 401 Unauthorized\r\ncontent-length: 112\r\ncache-control: no-cache\r\ncontent-type: text/html\r\nwww-authenticate: Basic realm=\"9ai9.net Qhappy\"\r\n\r\n<html><body><h1>401 Unauthorized</h1>\nYou need a valid user and password to access this content.\n</body></html>\n"
    static let unauthorizedClose = "HTTP/1.1 401 Unauthorized\r\ncontent-length: 112\r\ncache-control: no-cache\r\ncontent-type: text/html\r\nwww-authenticate: Basic realm=\"9ai9.net Qhappy\"\r\nconnection: close\r\n\r\n<html><body><h1>401 Unauthorized</h1>\nYou need a valid user and password to access this content.\n</body></html>\n"
    static let monitor11 = "HTTP/1.1 200 OK\r\ncontent-length: 58\r\ncache-control: no-cache\r\ncontent-type: text/html\r\n\r\n<html><body><h1>200 OK</h1>\nService ready.\n</body></html>\n"
    static let monitorClose = "HTTP/1.1 200 OK\r\ncontent-length: 58\r\ncache-control: no-cache\r\ncontent-type: text/html\r\nconnection: close\r\n\r\n<html><body><h1>200 OK</h1>\nService ready.\n</body></html>\n"
    static let monitorKeepAlive10 = "HTTP/1.1 200 OK\r\ncontent-length: 58\r\ncache-control: no-cache\r\ncontent-type: text/html\r\nconnection: keep-alive\r\n\r\n<html><body><h1>200 OK</h1>\nService ready.\n</body></html>\n"
}

@Suite struct HTTPErrorPagesTests {
    func text(_ b: StaticBytes) -> String { String(decoding: b.buffer, as: UTF8.self) }

    @Test func muxPagesAreFixed() {
        for c in ReplyConnection.allCases {
            #expect(text(ErrorPages.bytes(.badRequest, connection: c)) == Observed26.badRequest)
            #expect(text(ErrorPages.bytes(.requestTimeout, connection: c)) == Observed26.requestTimeout)
            #expect(text(ErrorPages.bytes(.unprocessableContent, connection: c)) == Observed26.unprocessable)
            #expect(text(ErrorPages.bytes(.payloadTooLarge, connection: c)) == Observed26.payloadTooLarge)
        }
    }

    @Test func closingPages() {
        #expect(text(ErrorPages.bytes(.forbidden, connection: .close)) == Observed26.forbiddenClose)
        #expect(text(ErrorPages.bytes(.internalError, connection: .close)) == Observed26.internalErrorClose)
        #expect(text(ErrorPages.bytes(.badGateway, connection: .close)) == Observed26.badGatewayClose)
        #expect(text(ErrorPages.bytes(.serviceUnavailable, connection: .close)) == Observed26.serviceUnavailableClose)
        #expect(text(ErrorPages.bytes(.gatewayTimeout, connection: .close)) == Observed26.gatewayTimeoutClose)
        #expect(text(ErrorPages.bytes(.monitorReady, connection: .close)) == Observed26.monitorClose)
        #expect(text(ErrorPages.bytes(.serviceUnavailable)) == Observed26.serviceUnavailableClose)   // default
    }

    @Test func keepAlivePages() {
        #expect(text(ErrorPages.bytes(.serviceUnavailable, connection: .none)) == Observed26.serviceUnavailableKeepAlive11)
        #expect(text(ErrorPages.bytes(.serviceUnavailable, connection: .keepAlive)) == Observed26.serviceUnavailableKeepAlive10)
        #expect(text(ErrorPages.bytes(.monitorReady, connection: .none)) == Observed26.monitor11)
        #expect(text(ErrorPages.bytes(.monitorReady, connection: .keepAlive)) == Observed26.monitorKeepAlive10)
    }

    @Test func statsUnauthorized() {
        #expect(String(decoding: ErrorPages.unauthorized(realm: "9ai9.net Qhappy", connection: .none), as: UTF8.self) == Observed26.unauthorized11)
        #expect(String(decoding: ErrorPages.unauthorized(realm: "9ai9.net Qhappy", connection: .close), as: UTF8.self) == Observed26.unauthorizedClose)
    }

    /// Which connection header goes with which request (what 2.6.12 did above).
    @Test func replyConnectionRule() {
        let r11 = request("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), r10 = request("GET / HTTP/1.0\r\n\r\n")
        let r10ka = request("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        func reply(_ p: Parsed<RequestHead>, _ mode: ConnectionMode) -> ReplyConnection {
            ConnectionPolicy.replyConnection(for: p.head, clientKeepsAlive: ConnectionPolicy.clientKeepsAlive(p.head, mode: mode))
        }
        #expect(reply(r11, .keepAlive) == .none)
        #expect(reply(r10ka, .keepAlive) == .keepAlive)
        #expect(reply(r10, .keepAlive) == .close)
        #expect(reply(r11, .close) == .close)
        #expect(reply(r10ka, .close) == .close)
    }

    /// 1.4.25 pages (spec §4.3: exact for the monitor and the 503; the others share the form).
    @Test func haproxy14() {
        #expect(text(ErrorPages.bytes(.monitorReady, flavour: .haproxy14)) ==
            "HTTP/1.0 200 OK\r\nCache-Control: no-cache\r\nConnection: close\r\nContent-Type: text/html\r\n\r\n<html><body><h1>200 OK</h1>\nHAProxy: service ready.\n</body></html>\n")
        #expect(text(ErrorPages.bytes(.serviceUnavailable, connection: .none, flavour: .haproxy14)) ==
            "HTTP/1.0 503 Service Unavailable\r\nCache-Control: no-cache\r\nConnection: close\r\nContent-Type: text/html\r\n\r\n<html><body><h1>503 Service Unavailable</h1>\nNo server is available to handle this request.\n</body></html>\n")
        #expect(text(ErrorPages.bytes(.internalError, flavour: .haproxy14)).hasPrefix("HTTP/1.0 500 Server Error\r\n"))
        #expect(text(ErrorPages.bytes(.internalError, flavour: .haproxy14)).contains("An internal server error occured.\n"))
        #expect(String(decoding: ErrorPages.unauthorized(realm: "r", flavour: .haproxy14), as: UTF8.self) ==
            "HTTP/1.0 401 Unauthorized\r\nCache-Control: no-cache\r\nConnection: close\r\nContent-Type: text/html\r\nWWW-Authenticate: Basic realm=\"r\"\r\n\r\n<html><body><h1>401 Unauthorized</h1>\nYou need a valid user and password to access this content.\n</body></html>\n")
    }

    /// The buffer stays the same memory (the engine may keep pointing at it).
    @Test func stableStorage() {
        #expect(ErrorPages.bytes(.badGateway).buffer.baseAddress == ErrorPages.bytes(.badGateway).buffer.baseAddress)
    }
}

extension HTTPErrorPagesTests {
    /// Every page is found under its own status (the table index matches allCases order).
    @Test func eachPageHasItsStatus() {
        for page in ErrorPage.allCases {
            for flavour in [ErrorPageFlavour.haproxy26, .haproxy14] {
                let status = [.unprocessableContent, .payloadTooLarge].contains(page) && flavour == .haproxy14 ? 400 : page.rawValue
                #expect(text(ErrorPages.bytes(page, connection: .none, flavour: flavour)).dropFirst(9).hasPrefix("\(status) "), "\(page) \(flavour)")
            }
        }
    }
}
