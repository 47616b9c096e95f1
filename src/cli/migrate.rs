//! `wxlogin migrate`: brings the database schema up to date (oncall), said in the operator's
//! language like every other command.

use super::Context;
use crate::exit::Failure;
use crate::store::Store;
use crate::tr;

pub async fn run(ctx: &Context) -> Result<(), Failure> {
    // Refuse a viewer before touching the database.
    ctx.check(&crate::ops::Operation::Migrate)?;
    let url = crate::config::database_url(&ctx.opts, &ctx.file)?;
    let store = Store::connect(&url, Default::default()).await?;
    crate::ops::migrate(&store, &ctx.actor).await?;
    ctx.say(tr!(
        ctx.tr,
        "cli-migrate-done",
        url = store.redacted_url().to_string()
    ))
}
