import ArgumentParser
import QuorumEngine

struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Work with configuration files.",
        subcommands: [Check.self]
    )

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate a configuration file and print the resolved configuration.",
            discussion: """
                Prints every key, with the defaults filled in for keys the file leaves out. \
                A missing file, invalid TOML, an unknown key, a wrong type, an out-of-range \
                value, a loop mapped to no thread or to two, or a core this machine does not \
                have is reported as FILE:LINE: KEY: expected …, found … and exits with status 2.
                """
        )

        @Argument(help: "The configuration file.")
        var file: String = defaultConfigPath

        func run() throws {
            let config = try loadConfig(file)
            print("# \(file): OK — the resolved configuration:")
            print(config.renderTOML(), terminator: "")
        }
    }
}

/// Loads a configuration or exits with status 2 after printing the error to stderr.
func loadConfig(_ path: String) throws -> QuorumConfig {
    do {
        return try QuorumConfig.load(path: path)
    } catch {
        printError("error: \(error)")
        throw ExitCode(2)
    }
}

func printError(_ message: String) {
    var stderr = StandardError()
    print(message, to: &stderr)
}

struct StandardError: TextOutputStream {
    mutating func write(_ string: String) {
        FileHandleWriter.write(string, fd: 2)
    }
}

enum FileHandleWriter {
    static func write(_ string: String, fd: Int32) {
        var s = string
        s.withUTF8 { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = _write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n <= 0 { return }
                offset += n
            }
        }
    }
}
