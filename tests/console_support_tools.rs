//! The support agent's tools in the console (issue 14): copy with OSC 52 to the console's own
//! output, the environment in the header, the device column, small terminals, export and the
//! account history. Every flow runs on both databases.

mod common;
mod console_support;

use std::io::Write;
use std::sync::{Arc, Mutex};

use console_support::*;
use ratatui::backend::CrosstermBackend;
use wxlogin::console::App;
use wxlogin::console::driver::{self, Exit};
use wxlogin::console::event::Event;

/// A console's output channel (what an SSH channel would carry), kept for the test to read.
#[derive(Clone, Default)]
struct Channel(Arc<Mutex<Vec<u8>>>);

impl Write for Channel {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Channel {
    fn bytes(&self) -> Vec<u8> {
        self.0.lock().unwrap().clone()
    }
}

/// Runs `app` drawing to its own channel, fed `events`; returns what the channel carried.
async fn run_on_channel(app: &mut App, events: Vec<Event>) -> Vec<u8> {
    let out = Channel::default();
    let mut terminal =
        driver::terminal(CrosstermBackend::new(out.clone()), app.size).expect("a terminal");
    let input = script(app, events);
    let exit = driver::drive(app, &mut terminal, input)
        .await
        .expect("the console runs");
    assert_eq!(exit, Exit::InputClosed);
    out.bytes()
}

fn osc52(text: &str) -> Vec<u8> {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(text);
    [b"\x1b]52;c;".as_slice(), b64.as_bytes(), b"\x07"].concat()
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn count_osc52(hay: &[u8]) -> usize {
    hay.windows(7).filter(|w| w == b"\x1b]52;c;").count()
}

store_test!(
    y_copies_the_selected_session_public_id_as_osc52_on_the_console_output,
    |db| {
        let fx = fixture(&db).await;
        let mut app = app(&fx.store, false);
        // The newest session is first: alice's last login.
        let newest = fx.sessions.last().unwrap();
        let bytes = run_on_channel(&mut app, events("y")).await;
        assert!(
            contains(&bytes, &osc52(&newest.public_id)),
            "no OSC 52 of the public id"
        );
        assert_eq!(count_osc52(&bytes), 1, "exactly one copy was emitted");
        let status = app.status.as_ref().expect("a status line").text.clone();
        assert!(status.contains("copied public session id"), "{status}");
        assert!(status.contains(&newest.public_id), "{status}");
    }
);

store_test!(
    y_in_bindings_copies_the_openid_and_shift_y_the_other_fields_in_turn,
    |db| {
        let fx = fixture(&db).await;
        let mut app = app(&fx.store, false);
        let bytes = run_on_channel(&mut app, events("2/bob<Enter>yYY")).await;
        assert!(contains(&bytes, &osc52("oBob000000000000000000000002")));
        assert!(
            contains(&bytes, &osc52("bob")),
            "Y copies the username next"
        );
        assert!(
            contains(&bytes, &osc52(&fx.bob.to_string())),
            "then the account id"
        );
        assert_eq!(count_osc52(&bytes), 3);
        let status = app.status.as_ref().unwrap().text.clone();
        assert!(status.contains("copied account id"), "{status}");
    }
);

store_test!(copy_never_emits_a_secret_and_sanitises_hostile_text, |db| {
    let fx = fixture(&db).await;
    let mut app = app(&fx.store, false);
    // carol's session (hostile user agent): the third newest is hers; Y through every field.
    let carol = &fx.sessions[3];
    let bytes = run_on_channel(&mut app, events("jjyYYYYYYY")).await;
    assert!(contains(&bytes, &osc52(&carol.public_id)));
    let clean_ua = wxlogin::sanitize::for_terminal(HOSTILE_UA).into_owned();
    assert!(
        contains(&bytes, &osc52(&clean_ua)),
        "the user agent is copied sanitised"
    );
    assert!(!contains(&bytes, &osc52(HOSTILE_UA)));
    for s in &fx.sessions {
        assert!(
            !contains(&bytes, &osc52(s.token.expose())),
            "a SessionId was copied"
        );
    }
});

store_test!(
    below_80x24_the_console_says_how_big_it_must_be_and_q_still_quits,
    |db| {
        let fx = fixture(&db).await;
        let mut app = app(&fx.store, false);
        app.settle().await;
        for (w, h) in [(60, 20), (79, 24), (80, 23)] {
            let screen = render(&mut app, w, h);
            assert!(
                screen.contains(&format!("terminal too small: {w}x{h}")),
                "{screen}"
            );
            assert!(
                screen.contains("the console needs at least 80x24"),
                "{screen}"
            );
            assert!(
                !screen.contains("Sessions"),
                "no broken layout is drawn: {screen}"
            );
        }
        let screen = render(&mut app, 80, 24);
        assert!(!screen.contains("too small"), "{screen}");
        assert!(screen.contains("Sessions"), "{screen}");
        render(&mut app, 40, 10);
        press(&mut app, "q").await;
        assert!(app.quit);
    }
);

fn console_in(
    store: &wxlogin::store::Store,
    env: &str,
    dangerous: &[String],
    theme: wxlogin::console::theme::Theme,
) -> App {
    let mut ctx = wxlogin::console::ConsoleContext::new(store.clone(), operator());
    ctx.theme = theme;
    ctx.db_label = "sqlite:///var/lib/wxlogin/wxlogin.db?mode=rwc".to_owned();
    ctx.dangerous_environment = wxlogin::console::context::is_dangerous_environment(env, dangerous);
    ctx.environment = Some(env.to_owned());
    App::new(ctx)
}

fn header_bg(buf: &ratatui::buffer::Buffer) -> ratatui::style::Color {
    buf.content[buf.area.width as usize - 1].bg
}

store_test!(
    production_draws_a_red_header_and_says_production_in_capitals_without_colour,
    |db| {
        use ratatui::style::Color;
        use wxlogin::console::theme::Theme;
        let fx = fixture(&db).await;
        let mut red = console_in(&fx.store, "production", &[], Theme::colored());
        red.settle().await;
        let buf = render_buffer(&mut red, 100, 24);
        assert_eq!(header_bg(&buf), Color::Red);
        let line = buffer_lines(&buf)[0].clone();
        assert!(line.contains(" PRODUCTION "), "{line}");
        insta::assert_snapshot!(
            format!(
                "environment_production_colour_header_100x24_{}",
                fx.store.backend()
            ),
            line
        );

        let mut plain = console_in(&fx.store, "production", &[], Theme::plain());
        plain.settle().await;
        let buf = render_buffer(&mut plain, 100, 24);
        assert!(
            buf.content
                .iter()
                .all(|c| c.fg == Color::Reset && c.bg == Color::Reset)
        );
        let line = buffer_lines(&buf)[0].clone();
        assert!(line.contains(" PRODUCTION "), "{line}");
        insta::assert_snapshot!(
            format!(
                "environment_production_no_colour_header_100x24_{}",
                fx.store.backend()
            ),
            line
        );

        // A configured dangerous name is red too; staging is not.
        let mut cn = console_in(
            &fx.store,
            "prod-cn",
            &["Prod-CN".to_owned()],
            Theme::colored(),
        );
        cn.settle().await;
        let buf = render_buffer(&mut cn, 100, 24);
        assert_eq!(header_bg(&buf), Color::Red);
        assert!(buffer_lines(&buf)[0].contains(" PROD-CN "));
        let mut staging = console_in(&fx.store, "staging", &[], Theme::colored());
        staging.settle().await;
        let buf = render_buffer(&mut staging, 100, 24);
        assert_eq!(header_bg(&buf), Color::Blue);
        let line = buffer_lines(&buf)[0].clone();
        assert!(line.contains(" staging "), "{line}");
        insta::assert_snapshot!(
            format!(
                "environment_staging_colour_header_100x24_{}",
                fx.store.backend()
            ),
            line
        );
    }
);
