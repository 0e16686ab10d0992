/// A configuration problem, located as precisely as the file allows.
///
/// Rendered as `FILE:LINE: KEY: expected …, found …` so editors can jump to it.
public struct ConfigError: Error, Equatable, CustomStringConvertible {
    public var file: String
    /// The line in `file`, when it is known.
    public var line: Int?
    /// The dotted key, e.g. `rings.intents` or `threads[1].cores`; `nil` for the file itself.
    public var key: String?
    public var expected: String
    public var found: String

    public init(file: String, line: Int? = nil, key: String? = nil, expected: String, found: String) {
        self.file = file
        self.line = line
        self.key = key
        self.expected = expected
        self.found = found
    }

    public var description: String {
        var location = file
        if let line { location += ":\(line)" }
        if let key { location += ": \(key)" }
        return "\(location): expected \(expected), found \(found)"
    }
}
