import Testing
@testable import QuorumExchange

@Suite struct QuorumExchangeModuleTests {
    @Test func moduleLinks() {
        #expect(Bool(true))
    }
}
