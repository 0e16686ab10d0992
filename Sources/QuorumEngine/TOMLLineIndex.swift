/// Finds the line on which a key is written in TOML source.
///
/// TOMLKit reports lines for syntax errors only, so values that parse but fail
/// validation are located here: a light scan that follows `[table]` and `[[array]]`
/// headers (counting array elements) and `key =` lines. Keys it cannot place (dotted keys,
/// inline tables) simply get no line.
struct TOMLLineIndex {
    private var lines: [String: Int] = [:]

    init(source: String) {
        var table = ""
        var arrayCounts: [String: Int] = [:]
        for (offset, raw) in source.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let lineNumber = offset + 1
            let text = raw.drop(while: { $0 == " " || $0 == "\t" })
            if text.hasPrefix("[[") {
                let name = Self.headerName(text.dropFirst(2))
                let index = arrayCounts[name, default: 0]
                arrayCounts[name] = index + 1
                table = "\(name)[\(index)]"
                lines[table] = lineNumber
                if index == 0 { lines[name] = lineNumber }
            } else if text.hasPrefix("[") {
                table = Self.headerName(text.dropFirst())
                lines[table] = lineNumber
            } else if let equals = text.firstIndex(of: "="), !text.hasPrefix("#") {
                let key = text[..<equals].trimmingCharacters(in: " \t\"")
                guard !key.isEmpty else { continue }
                lines[table.isEmpty ? key : "\(table).\(key)"] = lineNumber
            }
        }
    }

    /// The line of `key` (e.g. `threads[1].cores`), or of its table when the key itself
    /// is absent.
    func line(of key: String) -> Int? {
        if let line = lines[key] { return line }
        var parent = Substring(key)
        while let dot = parent.lastIndex(of: ".") {
            parent = parent[..<dot]
            if let line = lines[String(parent)] { return line }
        }
        return nil
    }

    private static func headerName(_ rest: Substring) -> String {
        let end = rest.firstIndex(of: "]") ?? rest.endIndex
        return rest[..<end].trimmingCharacters(in: " \t")
    }
}

extension StringProtocol {
    func trimmingCharacters(in set: String) -> String {
        let chars = Set(set)
        var s = Substring(self)
        while let f = s.first, chars.contains(f) { s = s.dropFirst() }
        while let l = s.last, chars.contains(l) { s = s.dropLast() }
        return String(s)
    }
}
