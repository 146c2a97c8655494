//! `clawdbot panel`: clap. The server is `crate::panel`, the rules the
//! core's `panel`.

use clap::Args;
use clawdbot_auth_core::defaults::PANEL_PORT;
use clawdbot_auth_core::flow::Exit;

/// `--help`'s description: how to reach the panel, and why the link works once.
pub const LONG_ABOUT: &str = "Serve the admin panel of this host's credentials, live, on the loopback \
interface only (127.0.0.1 and [::1]), until interrupted.\n\n\
The page shows what `clawdbot models status`, `models auth list` and `doctor` say, re-read every \
minute and when you press Refresh, and never a secret. Its buttons run the CLI's own commands on \
this host, under the same locks: order up and down, order clear, remove (asking what the CLI \
asks), cooldown clear, paste an API key or a token, refresh a login.\n\n\
It prints a link, http://127.0.0.1:PORT/#token=T. The token is 32 random bytes, good for one \
sign-in within 10 minutes: the page trades it for a cookie that lasts until the panel stops, so \
a copied or logged link is worthless once used. It is in the link's #fragment, which a browser \
sends to no server; it is never in a log or a command line.\n\n\
On a headless gateway host, forward the port from your laptop with the line it prints, \
`ssh -N -L PORT:127.0.0.1:PORT <this host>`, then open the link on the laptop: the panel never \
listens on another interface, so the tunnel is the only way in from elsewhere.";

#[derive(Args, Debug)]
pub struct PanelArgs {
    /// The agent whose credentials to show (default: the configured default agent).
    #[arg(long, value_name = "ID")]
    pub agent: Option<String>,
    /// The port on 127.0.0.1 and [::1] (0: any free port).
    #[arg(long, value_name = "N", default_value_t = PANEL_PORT)]
    pub port: u16,
    /// Do not open a browser (one is opened only on a desktop, never over SSH).
    #[arg(long)]
    pub no_open: bool,
}

pub fn run(args: &PanelArgs) -> Exit {
    crate::panel::serve(args.agent.clone(), args.port, args.no_open)
}
