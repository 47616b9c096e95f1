//! `wxlogin completions bash|zsh|fish`: shell completion scripts on stdout.

use std::io::Write;

use clap::{Args, ValueEnum};

use crate::exit::Failure;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
}

#[derive(Debug, Args)]
#[command(after_help = "Install, for example:\n  \
    wxlogin completions bash > ~/.local/share/bash-completion/completions/wxlogin\n  \
    wxlogin completions zsh > ~/.zfunc/_wxlogin   (with fpath+=~/.zfunc before compinit)\n  \
    wxlogin completions fish > ~/.config/fish/completions/wxlogin.fish")]
pub struct CompletionsArgs {
    /// The shell to write completions for.
    pub shell: Shell,
}

/// Writes the completion script for `cmd` (the whole `wxlogin` command tree) to `out` (stdout,
/// or the channel through the SSH door).
pub fn run(
    args: CompletionsArgs,
    cmd: &mut clap::Command,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    let mut buf = Vec::new();
    let name = cmd.get_name().to_owned();
    match args.shell {
        Shell::Bash => clap_complete::generate(clap_complete::Shell::Bash, cmd, name, &mut buf),
        Shell::Zsh => clap_complete::generate(clap_complete::Shell::Zsh, cmd, name, &mut buf),
        Shell::Fish => clap_complete::generate(clap_complete::Shell::Fish, cmd, name, &mut buf),
    }
    out.write_all(&buf)?;
    Ok(())
}
