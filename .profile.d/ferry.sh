# Heroku sources this at the start of every dyno, release phase included: the Rust
# buildpack leaves the binary in target/release (see RustConfig).
export PATH="$HOME/target/release:$PATH"
