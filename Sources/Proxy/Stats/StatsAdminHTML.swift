/// The stats page's admin parts (`stats admin if …`): a checkbox per server, the action list
/// HAProxy 2.6 offers and the backend's `#id` in a form that POSTs to the page, and the
/// message the page shows after the POST's redirect (`;st=CODE`, HAProxy's texts).
enum StatsAdminHTML {
    /// HAProxy's action values and labels, in its order.
    static let actions: [(value: String, label: String)] = [
        ("ready", "Set state to READY"), ("drain", "Set state to DRAIN"), ("maint", "Set state to MAINT"),
        ("dhlth", "Health: disable checks"), ("ehlth", "Health: enable checks"), ("hrunn", "Health: force UP"),
        ("hnolb", "Health: force NOLB"), ("hdown", "Health: force DOWN"), ("dagent", "Agent: disable checks"),
        ("eagent", "Agent: enable checks"), ("arunn", "Agent: force UP"), ("adown", "Agent: force DOWN"),
        ("shutdown", "Kill Sessions"),
    ]

    static func formStart(_ request: StatsRequest, config: StatsConfig) -> String {
        let action = config.uri + (request.upOnly ? ";up" : "") + (request.noRefresh ? ";norefresh" : "") + request.scopeQuery
        return "<form method=\"post\" action=\"\(StatsHTML.esc(action))\">"
    }

    static func formEnd(backendID: Int) -> String {
        var s = "<p class=\"admin\">Choose the action to perform on the checked servers : <select name=\"action\">"
        s += "<option value=\"\"></option>"
        for a in actions { s += "<option value=\"\(a.value)\">\(a.label)</option>" }
        s += "</select><input type=\"hidden\" name=\"b\" value=\"#\(backendID)\"> <input type=\"submit\" value=\"Apply\"></p></form>"
        return s
    }

    static func checkbox(_ server: String) -> String {
        "<input type=\"checkbox\" name=\"s\" value=\"\(StatsHTML.esc(server))\">"
    }

    /// The column groups with the checkbox column first.
    static let columnGroups = StatsHTML.columnGroups
        .replacingOccurrences(of: "<thead><tr><th class=\"name\"", with: "<thead><tr><th rowspan=\"2\"></th><th class=\"name\"")

    /// The outcome of the last POST, with a link that removes the message.
    static func statusMessage(_ request: StatsRequest, config: StatsConfig) -> String {
        guard let st = request.status else { return "" }
        let link = config.uri + (request.upOnly ? ";up" : "") + (request.noRefresh ? ";norefresh" : "") + request.scopeQuery
        let (cls, text): (String, String)
        switch st {
        case .done: (cls, text) = ("active_up", "Action processed successfully.")
        case .nothing: (cls, text) = ("active_going_down", "Nothing has changed.")
        case .partial: (cls, text) = ("active_going_down", "Action partially processed.<br>Some server names are probably unknown or ambiguous (duplicated names in the backend).")
        case .invalidParameters:
            (cls, text) = ("active_down", "Action not processed because of invalid parameters.<ul><li>The action is maybe unknown.</li>"
                + "<li>Invalid key parameter (empty or too long).</li><li>The backend name is probably unknown or ambiguous (duplicated names).</li>"
                + "<li>Some server names are probably unknown or ambiguous (duplicated names in the backend).</li></ul>")
        case .exceeded: (cls, text) = ("active_down", "<b>Action not processed : the buffer couldn't store all the data.<br>You should retry with less servers at a time.</b>")
        case .denied: (cls, text) = ("active_down", "<b>Action denied.</b>")
        case .invalidRequest: (cls, text) = ("active_down", "<b>Invalid requests (unsupported method or chunked encoded request).</b>")
        case .unknown: (cls, text) = ("active_no_check", "Unexpected result.")
        }
        return "<p><div class=\"msg \(cls)\"><a href=\"\(StatsHTML.esc(link))\" title=\"Remove this message\">[X]</a> \(text)</div>\n"
    }
}
