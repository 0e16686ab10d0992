import Testing
@testable import QuorumNet

@Suite struct QuorumNetModuleTests {
    @Test func moduleLinks() {
        #expect(Bool(true))
    }
}
