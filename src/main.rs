fn main() -> std::process::ExitCode {
    sensor_conformance::cli::main()
}
