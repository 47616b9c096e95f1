//! A console is built from its own context and run on its own input stream and backend: several
//! in one process, each for a different operator, with its own theme, size and state (what an
//! SSH server serving many operators needs). And a refusal shows on the status line, never as
//! a dialog, with the footer and help marking what the operator may not do.

mod common;
mod console_support;

use console_support::*;
use ratatui::backend::TestBackend;
use ratatui::style::Color;
use wxlogin::console::app::{Overlay, StatusKind};
use wxlogin::console::driver::{self, Exit};
use wxlogin::console::event::Event;
use wxlogin::console::theme::Theme;
use wxlogin::console::{App, View};
use wxlogin::operator::{Actor, Role};

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
            Actor::new("oncall-ana", Role::Oncall, Some("ssh:203.0.113.7".into())),
            false,
            Theme::colored(),
            (120, 30),
        );
        let mut vic = console_for(
            &fx.store,
            Actor::new("viewer-vic", Role::Viewer, Some("ssh:198.51.100.9".into())),
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
                .any(|l| l.contains("refused: revoking sessions needs the support role")),
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
    a_viewer_pressing_revoke_sees_the_refusal_on_the_status_line_and_no_dialog,
    |db| {
        let fx = fixture(&db).await;
        let mut app = console_for(
            &fx.store,
            Actor::new("viewer-vic", Role::Viewer, None),
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
            "refused: revoking sessions needs the support role; you are viewer (read-only mode)"
        );
        let lines = buffer_lines(&screen);
        // Status line and footer: the refusal, and the keys this operator may not use marked.
        assert!(
            lines[28].starts_with("refused: revoking sessions needs the support role"),
            "{lines:#?}"
        );
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
            // Only the help box's column (the list shows through on both sides).
            let inner = |l: &str| -> String { l.split('│').nth(2).unwrap_or("").to_owned() };
            format!("{} {}", inner(&help[i]), inner(&help[i + 1]))
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        };
        assert!(
            line("d               revoke the marked sessions").contains("(needs the support role)"),
            "{help:#?}"
        );
        assert!(
            line("A               revoke every live session").contains("(needs the support role)"),
            "{help:#?}"
        );
        assert!(
            !line("t               find a session by its SessionId").contains("needs"),
            "{help:#?}"
        );
        assert_eq!(live_count(&fx.store).await, 6);
    }
);

store_test!(support_and_oncall_consoles_mark_no_key, |db| {
    let fx = fixture(&db).await;
    for role in [Role::Support, Role::Oncall] {
        let mut app = console_for(
            &fx.store,
            Actor::new("li", role, None),
            false,
            Theme::plain(),
            (120, 30),
        );
        let (_, screen) = run(&mut app, Vec::new()).await;
        let lines = buffer_lines(&screen);
        assert!(lines[29].contains("d revoke "), "{role}: {}", lines[29]);
        assert!(!lines.join("\n").contains('✗'), "{role}: {lines:#?}");
    }
});

store_test!(
    a_support_operator_is_refused_more_than_a_hundred_marks_before_the_dialog,
    |db| {
        let fx = fixture(&db).await;
        for i in 0..101 {
            let openid = format!("oMany{i:023}");
            common::login(&fx.store, fx.bob, common::Login::new(APP2, &openid)).await;
        }
        let mut app = console_for(
            &fx.store,
            Actor::new("support-li", Role::Support, None),
            false,
            Theme::plain(),
            (120, 30),
        );
        run(&mut app, events(&"<Space>".repeat(101))).await;
        assert_eq!(app.sessions.marks.len(), 101);
        let (_, screen) = run(&mut app, events("d")).await;
        assert!(app.overlay.is_none(), "no dialog opens");
        let status = app.status.as_ref().unwrap();
        assert_eq!(status.kind, StatusKind::Error);
        assert!(
            status.text.contains("needs the oncall role"),
            "{}",
            status.text
        );
        assert!(buffer_lines(&screen)[28].contains("needs the oncall role"));
        // With a hundred marks the dialog opens.
        run(&mut app, events("k<Space>d")).await;
        assert_eq!(app.sessions.marks.len(), 100);
        assert!(matches!(app.overlay, Some(Overlay::Confirm(_))));
        assert_eq!(live_count(&fx.store).await, 107);
    }
);
