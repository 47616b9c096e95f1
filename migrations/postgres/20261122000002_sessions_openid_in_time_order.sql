-- Sessions of one openid, newest first, must be an ordered walk of one index.
--
-- sessions_openid was (openid, appid, created_at, id): a filter on openid alone (the console's
-- "all of this openid", `sessions list --openid`) could not read it in time order, so the
-- planner had to fetch every session of the openid and sort them, or, when its statistics said
-- the openid was frequent, walk sessions_newest and filter, reading up to the whole index for
-- a rare one. At 1M sessions it chose the latter for some ANALYZE samples (tests/explain.rs
-- caught it). WeChat gives each mini program its own openids, so the openid already decides
-- the appid and the appid column bought nothing; (openid, created_at, id) serves openid alone
-- and openid + appid, always in order.
DROP INDEX IF EXISTS sessions_openid;
CREATE INDEX sessions_openid ON sessions (openid, created_at DESC, id DESC);
