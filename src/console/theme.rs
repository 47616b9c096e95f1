//! Styles. With `NO_COLOR` set (https://no-color.org) no colour is used at all: emphasis comes
//! from bold, reverse video and underline only. Each console has its own theme, decided when it
//! is built (never read from the environment while drawing).

use ratatui::style::{Color, Modifier, Style};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub color: bool,
    pub header: Style,
    pub header_key: Style,
    pub badge: Style,
    pub tab: Style,
    pub tab_active: Style,
    pub border: Style,
    pub title: Style,
    pub column: Style,
    pub selected: Style,
    pub marked: Style,
    pub inactive: Style,
    pub muted: Style,
    pub key: Style,
    pub ok: Style,
    pub error: Style,
    pub warn: Style,
    pub banner: Style,
    pub label: Style,
    pub value: Style,
    pub dialog: Style,
}

impl Theme {
    /// Colour unless `NO_COLOR` is set to a non-empty value: `no_color` is its value as the
    /// console's operator has it (the local process environment, or an SSH client's).
    pub fn for_no_color(no_color: Option<&std::ffi::OsStr>) -> Self {
        match no_color {
            Some(v) if !v.is_empty() => Self::plain(),
            _ => Self::colored(),
        }
    }

    pub fn colored() -> Self {
        let s = Style::new();
        Theme {
            color: true,
            header: s.fg(Color::White).bg(Color::Blue),
            header_key: s
                .fg(Color::Yellow)
                .bg(Color::Blue)
                .add_modifier(Modifier::BOLD),
            badge: s
                .fg(Color::White)
                .bg(Color::Red)
                .add_modifier(Modifier::BOLD),
            tab: s.fg(Color::Gray),
            tab_active: s
                .fg(Color::Black)
                .bg(Color::Cyan)
                .add_modifier(Modifier::BOLD),
            border: s.fg(Color::DarkGray),
            title: s.fg(Color::Cyan).add_modifier(Modifier::BOLD),
            column: s.fg(Color::Yellow).add_modifier(Modifier::BOLD),
            selected: s.fg(Color::Black).bg(Color::Cyan),
            marked: s.fg(Color::LightMagenta).add_modifier(Modifier::BOLD),
            inactive: s.fg(Color::DarkGray),
            muted: s.fg(Color::DarkGray),
            key: s.fg(Color::Cyan).add_modifier(Modifier::BOLD),
            ok: s.fg(Color::Green),
            error: s.fg(Color::LightRed).add_modifier(Modifier::BOLD),
            warn: s.fg(Color::Yellow),
            banner: s
                .fg(Color::White)
                .bg(Color::Red)
                .add_modifier(Modifier::BOLD),
            label: s.fg(Color::Gray),
            value: s.fg(Color::White),
            dialog: s.fg(Color::White).bg(Color::Black),
        }
    }

    pub fn plain() -> Self {
        let s = Style::new();
        let bold = s.add_modifier(Modifier::BOLD);
        Theme {
            color: false,
            header: s.add_modifier(Modifier::REVERSED),
            header_key: s.add_modifier(Modifier::REVERSED | Modifier::BOLD),
            badge: bold.add_modifier(Modifier::UNDERLINED),
            tab: s,
            tab_active: s.add_modifier(Modifier::REVERSED | Modifier::BOLD),
            border: s,
            title: bold,
            column: bold.add_modifier(Modifier::UNDERLINED),
            selected: s.add_modifier(Modifier::REVERSED),
            marked: bold,
            inactive: s.add_modifier(Modifier::DIM),
            muted: s.add_modifier(Modifier::DIM),
            key: bold,
            ok: s,
            error: bold,
            warn: bold,
            banner: s.add_modifier(Modifier::REVERSED | Modifier::BOLD),
            label: s,
            value: s,
            dialog: s,
        }
    }
}

// Support tools (environment).
impl Theme {
    /// This theme with the header in red, for a dangerous environment (like k9s' skins).
    pub fn dangerous_header(&self) -> Theme {
        let s = Style::new();
        Theme {
            header: s.fg(Color::White).bg(Color::Red),
            header_key: s
                .fg(Color::Yellow)
                .bg(Color::Red)
                .add_modifier(Modifier::BOLD),
            badge: s
                .fg(Color::Red)
                .bg(Color::White)
                .add_modifier(Modifier::BOLD),
            ..*self
        }
    }
}
