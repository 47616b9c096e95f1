// sqlx::migrate!() embeds the migrations at compile time: rebuild when one is added or edited
// (without this, a new migration file is silently missing from an incremental build).
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
