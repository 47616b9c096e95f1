//! In production every mutating dialog repeats the environment's name (title and body), with
//! and without colour; on staging it does not. SQLite always, PostgreSQL when
//! WXLOGIN_TEST_PG_URL is set.

mod common;
mod console_support;

use console_support::*;
use wxlogin::console::App;
use wxlogin::console::app::Overlay;
use wxlogin::console::theme::Theme;

fn console_in(store: &wxlogin::store::Store, env: &str, theme: Theme) -> App {
    let mut ctx = wxlogin::console::ConsoleContext::new(store.clone(), operator());
    ctx.theme = theme;
    ctx.db_label = "sqlite:///var/lib/wxlogin/wxlogin.db?mode=rwc".to_owned();
    ctx.dangerous_environment = wxlogin::console::context::is_dangerous_environment(env, &[]);
    ctx.environment = Some(env.to_owned());
    let mut app = App::new(ctx);
    app.resize(100, 24);
    app
}

/// The screen below the header (which names the backend), random public ids masked with
/// their width kept (`ses_3fa9…` → `ses_····…`).
fn body(screen: &str) -> String {
    let text = screen.lines().skip(1).collect::<Vec<_>>().join("\n");
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(i) = rest.find("ses_") {
        let (head, tail) = rest.split_at(i + 4);
        out.push_str(head);
        let n = tail.chars().take_while(char::is_ascii_hexdigit).count();
        out.push_str(&"·".repeat(n));
        rest = &tail[n..];
    }
    out.push_str(rest);
    out
}

store_test!(a_production_dialog_names_production, |db| {
    let fx = fixture(&db).await;
    for (theme, name) in [(Theme::plain(), "no_colour"), (Theme::colored(), "colour")] {
        let mut app = console_in(&fx.store, "production", theme);
        app.settle().await;
        press(&mut app, "<Space><Space><Space>d").await;
        assert!(matches!(app.overlay, Some(Overlay::Confirm(_))));
        let screen = render(&mut app, 100, 24);
        assert!(
            screen.contains("Revoke 3 marked sessions — PRODUCTION"),
            "{screen}"
        );
        assert!(screen.contains("You are changing production"), "{screen}");
        insta::with_settings!({ filters => filters(), prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!(format!("confirm_production_{name}_100x24"), body(&screen));
        });
        if name == "colour" {
            // The warning line is drawn in the error colour.
            let buf = render_buffer(&mut app, 100, 24);
            let w = buf.area.width as usize;
            let row = screen
                .lines()
                .position(|l| l.contains("You are changing production"))
                .unwrap();
            let line = screen.lines().nth(row).unwrap();
            let col = line.find("You are").unwrap();
            let col = line[..col].chars().count() - 1;
            let cell = &buf.content[row * w + col];
            assert_ne!(cell.fg, ratatui::style::Color::Reset, "coloured");
        }
        press(&mut app, "<Esc>").await;
    }
    let mut app = console_in(&fx.store, "staging", Theme::plain());
    app.settle().await;
    press(&mut app, "d").await;
    let screen = render(&mut app, 100, 24);
    assert!(screen.contains("Revoke session"), "{screen}");
    assert!(!screen.contains("PRODUCTION"), "{screen}");
    assert!(!screen.contains("You are changing"), "{screen}");
});
