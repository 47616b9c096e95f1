//! A console is built from its own context and run on its own input stream and backend: several
//! in one process, each for a different operator, with its own theme, size and state (what an
//! SSH server serving many operators needs). And a refusal shows on the status line, never as
//! a dialog, with the footer and help marking what the operator may not do.

mod common;
mod console_support;

use console_support::*;
use ratatui::backend::TestBackend;
use ratatui::style::Color;
use wxlogin::config::Actor;
use wxlogin::console::app::{Overlay, StatusKind};
use wxlogin::console::driver::{self, Exit};
use wxlogin::console::event::Event;
use wxlogin::console::theme::Theme;
use wxlogin::console::{App, View};

/// Runs `app` on a test backend of its own size, fed `events`; returns the exit and the last
/// frame.
async fn run(app: &mut App, events: Vec<Event>) -> (Exit, ratatui::buffer::Buffer) {
    let mut terminal = driver::terminal(TestBackend::new(app.size.0, app.size.1), app.size)
        .expect("a test terminal");
    let input = script(app, events);
    let exit = driver::drive(app, &mut terminal, input)
        .await
        .expect("the console runs");
    (exit, terminal.backend().buffer().clone())
}

fn coloured(buf: &ratatui::buffer::Buffer) -> bool {
    buf.content
        .iter()
        .any(|c| c.fg != Color::Reset || c.bg != Color::Reset)
}

store_test!(
    two_consoles_in_one_process_keep_their_own_operator_theme_size_and_state,
    |db| {
        let fx = fixture(&db).await;
        let mut ana = console_for(
            &fx.store,
            Actor::new("oncall-ana", Some("ssh:203.0.113.7".into())),
            false,
            Theme::colored(),
            (120, 30),
        );
        let mut vic = console_for(
            &fx.store,
            Actor::new("viewer-vic", Some("ssh:198.51.100.9".into())),
            true,
            Theme::plain(),
            (80, 24),
        );
        // Both at once: ana marks two sessions and searches Bindings for bob; vic opens the
        // third session's detail, is refused a revoke, and resizes her terminal.
        let mut ana_keys = events("<Space><Space>2/bob<Enter>");
        ana_keys.insert(0, Event::Resize(120, 30));
        let mut vic_keys = events("jj<Enter>d");
        vic_keys.push(Event::Resize(100, 28));
        let ((ana_exit, ana_screen), (vic_exit, vic_screen)) =
            tokio::join!(run(&mut ana, ana_keys), run(&mut vic, vic_keys));
        assert_eq!(ana_exit, Exit::InputClosed);
        assert_eq!(vic_exit, Exit::InputClosed);

        // Each drew its own operator, at its own size, in its own colours.
        let ana_lines = buffer_lines(&ana_screen);
        let vic_lines = buffer_lines(&vic_screen);
        assert_eq!((ana_screen.area.width, ana_screen.area.height), (120, 30));
        assert_eq!((vic_screen.area.width, vic_screen.area.height), (100, 28));
        assert_eq!(vic.size, (100, 28));
        assert!(
            ana_lines[0].contains("oncall-ana@ssh:203.0.113.7"),
            "{ana_lines:#?}"
        );
        assert!(!ana_lines[0].contains("READ-ONLY"), "{ana_lines:#?}");
        assert!(vic_lines[0].contains("viewer-vic"), "{vic_lines:#?}");
        assert!(vic_lines[0].contains("READ-ONLY"), "{vic_lines:#?}");
        assert!(coloured(&ana_screen), "ana's console uses colour");
        assert!(!coloured(&vic_screen), "vic's console (NO_COLOR) uses none");

        // Their state is their own.
        assert_eq!(ana.view, View::Bindings);
        assert_eq!(ana.sessions.marks.len(), 2);
        assert!(!ana.bindings.results.is_empty());
        assert!(ana.bindings.results.iter().all(|b| b.username == "bob"));
        assert!(
            ana_lines.iter().any(|l| l.contains("[bob]")),
            "{ana_lines:#?}"
        );
        assert_eq!(vic.view, View::Sessions);
        assert!(vic.sessions.marks.is_empty());
        assert!(vic.sessions.list.detail);
        assert_eq!(
            vic.sessions.list.window.selected_row().unwrap().username,
            "carol"
        );
        assert!(
            vic_lines.iter().any(|l| l.contains("Session detail")),
            "{vic_lines:#?}"
        );
        assert!(
            vic_lines
                .iter()
                .any(|l| l.contains("read-only: revoking sessions is refused")),
            "{vic_lines:#?}"
        );
        assert!(
            ana.status
                .as_ref()
                .is_none_or(|s| !s.text.contains("read-only"))
        );
        assert_eq!(live_count(&fx.store).await, 6, "nothing was revoked");
    }
);

store_test!(
    a_read_only_operator_pressing_revoke_sees_the_refusal_on_the_status_line_and_no_dialog,
    |db| {
        let fx = fixture(&db).await;
        let mut app = console_for(
            &fx.store,
            Actor::new("viewer-vic", None),
            true,
            Theme::plain(),
            (120, 30),
        );
        let (_, screen) = run(&mut app, events("d")).await;
        assert!(app.overlay.is_none(), "no dialog opens");
        let status = app.status.as_ref().expect("a refusal");
        assert_eq!(status.kind, StatusKind::Error);
        assert_eq!(
            status.text,
            "read-only: revoking sessions is refused (--read-only)"
        );
        let lines = buffer_lines(&screen);
        // Status line and footer: the refusal, and the keys this operator may not use marked.
        assert!(lines[28].starts_with(&status.text), "{lines:#?}");
        assert!(lines[29].contains("d revoke✗"), "{}", lines[29]);
        assert!(lines[29].contains("A all of account✗"), "{}", lines[29]);
        assert!(
            lines[29].contains("t SessionId "),
            "not marked: {}",
            lines[29]
        );
        // The help screen says why next to each refused key, and only those.
        let mut tall = vec![Event::Resize(120, 60)];
        tall.extend(events("?"));
        let (_, screen) = run(&mut app, tall).await;
        assert!(matches!(app.overlay, Some(Overlay::Help(_))));
        let help = buffer_lines(&screen);
        // An entry and the line after it (a long entry wraps onto it).
        let line = |start: &str| {
            let i = help
                .iter()
                .position(|l| l.contains(start))
                .unwrap_or_else(|| panic!("{start}: {help:#?}"));
            format!("{}{}", help[i], help[i + 1])
        };
        assert!(
            line("d               revoke the marked sessions").contains("(refused:"),
            "{help:#?}"
        );
        assert!(
            line("A               revoke every live session").contains("(refused:"),
            "{help:#?}"
        );
        assert!(
            !line("t               find a session by its SessionId").contains("refused"),
            "{help:#?}"
        );
        assert_eq!(live_count(&fx.store).await, 6);
    }
);

store_test!(
    a_console_without_marks_for_its_operator_marks_nothing,
    |db| {
        let fx = fixture(&db).await;
        let mut app = console_for(
            &fx.store,
            Actor::new("oncall-ana", None),
            false,
            Theme::plain(),
            (120, 30),
        );
        let (_, screen) = run(&mut app, Vec::new()).await;
        let lines = buffer_lines(&screen);
        assert!(lines[29].contains("d revoke "), "{}", lines[29]);
        assert!(!lines.join("\n").contains('✗'));
    }
);
