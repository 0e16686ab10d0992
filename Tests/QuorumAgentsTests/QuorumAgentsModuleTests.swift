import Testing
@testable import QuorumAgents

@Suite struct QuorumAgentsModuleTests {
    @Test func moduleLinks() {
        #expect(Bool(true))
    }
}
