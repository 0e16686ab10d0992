/// Bad input to a market-data tool, located precisely enough to fix it: file, line (text) or
/// byte offset (binary), field and the offending value.
public struct MarketToolError: Error, Equatable, CustomStringConvertible, Sendable {
    public var file: String
    public var line: Int?
    public var byteOffset: Int?
    public var field: String?
    public var value: String?
    public var reason: String

    public init(file: String, line: Int? = nil, byteOffset: Int? = nil, field: String? = nil,
                value: String? = nil, reason: String) {
        self.file = file
        self.line = line
        self.byteOffset = byteOffset
        self.field = field
        self.value = value
        self.reason = reason
    }

    public var description: String {
        var s = file
        if let line { s += ":\(line)" }
        if let byteOffset { s += ": byte offset \(byteOffset)" }
        if let field { s += ": field \(field)" }
        if let value { s += " = \"\(value)\"" }
        return s + ": " + reason
    }
}
