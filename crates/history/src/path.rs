//! Where the history file lives.

use std::env;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};

/// The environment variable that names the history file; it wins over [`default_path`] but
/// not over a path given explicitly to [`resolve`]. Empty counts as unset.
///
/// ```
/// assert_eq!(billfold_history::ENV_VAR, "BILLFOLD_HISTORY");
/// ```
pub const ENV_VAR: &str = "BILLFOLD_HISTORY";

/// The history file's path below a data directory.
const FILE_IN_DATA_DIR: [&str; 2] = ["billfold", "history.sqlite3"];

/// The default history file: `$XDG_DATA_HOME/billfold/history.sqlite3` when `XDG_DATA_HOME` is
/// set to an absolute path, else `$HOME/.local/share/billfold/history.sqlite3` when `HOME` is
/// set to an absolute path, else `None` (there is nowhere sensible to keep it).
///
/// ```
/// if let Some(path) = billfold_history::default_path() {
///     assert!(path.ends_with("billfold/history.sqlite3"));
/// }
/// ```
pub fn default_path() -> Option<PathBuf> {
    default_path_from(
        env::var_os("XDG_DATA_HOME").as_deref(),
        env::var_os("HOME").as_deref(),
    )
}

/// The history file to use: `explicit` (from `--history PATH`) if given, else the non-empty
/// value of [`ENV_VAR`], else [`default_path`]. `None` means no path could be found; turning
/// history off (`--no-history`) is the caller's business and is decided before calling this.
///
/// ```
/// use std::path::Path;
///
/// let explicit = Path::new("/tmp/my-history.sqlite3");
/// assert_eq!(billfold_history::resolve(Some(explicit)).as_deref(), Some(explicit));
/// ```
pub fn resolve(explicit: Option<&Path>) -> Option<PathBuf> {
    resolve_from(
        explicit,
        env::var_os(ENV_VAR).as_deref(),
        env::var_os("XDG_DATA_HOME").as_deref(),
        env::var_os("HOME").as_deref(),
    )
}

/// [`resolve`] with the environment passed in.
fn resolve_from(
    explicit: Option<&Path>,
    env_value: Option<&OsStr>,
    xdg_data_home: Option<&OsStr>,
    home: Option<&OsStr>,
) -> Option<PathBuf> {
    if let Some(path) = explicit {
        return Some(path.to_path_buf());
    }
    if let Some(value) = env_value.filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(value));
    }
    default_path_from(xdg_data_home, home)
}

/// [`default_path`] with the environment passed in. Following the XDG base directory spec, a
/// relative `XDG_DATA_HOME` is ignored; a relative or empty `HOME` is ignored too, so the file
/// never lands somewhere that depends on the current directory.
fn default_path_from(xdg_data_home: Option<&OsStr>, home: Option<&OsStr>) -> Option<PathBuf> {
    let absolute = |value: Option<&OsStr>| {
        value
            .map(Path::new)
            .filter(|p| p.is_absolute())
            .map(Path::to_path_buf)
    };
    let data_dir = absolute(xdg_data_home)
        .or_else(|| absolute(home).map(|home| home.join(".local").join("share")))?;
    Some(
        FILE_IN_DATA_DIR
            .iter()
            .fold(data_dir, |dir, part| dir.join(part)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(s: &str) -> Option<&OsStr> {
        Some(OsStr::new(s))
    }

    #[test]
    fn xdg_data_home_wins_when_absolute() {
        assert_eq!(
            default_path_from(os("/data"), os("/home/me")),
            Some(PathBuf::from("/data/billfold/history.sqlite3"))
        );
    }

    #[test]
    fn home_is_used_when_xdg_is_unset_empty_or_relative() {
        let expected = Some(PathBuf::from(
            "/home/me/.local/share/billfold/history.sqlite3",
        ));
        assert_eq!(default_path_from(None, os("/home/me")), expected);
        assert_eq!(default_path_from(os(""), os("/home/me")), expected);
        assert_eq!(default_path_from(os("data"), os("/home/me")), expected);
    }

    #[test]
    fn nothing_without_an_absolute_home() {
        assert_eq!(default_path_from(None, None), None);
        assert_eq!(default_path_from(os(""), os("")), None);
        assert_eq!(default_path_from(os("rel"), os("also-rel")), None);
    }

    #[test]
    fn resolve_prefers_explicit_then_env_then_default() {
        let explicit = Path::new("given.sqlite3");
        assert_eq!(
            resolve_from(
                Some(explicit),
                os("/env.sqlite3"),
                os("/data"),
                os("/home/me")
            ),
            Some(PathBuf::from("given.sqlite3"))
        );
        assert_eq!(
            resolve_from(None, os("rel/env.sqlite3"), os("/data"), os("/home/me")),
            Some(PathBuf::from("rel/env.sqlite3"))
        );
        assert_eq!(
            resolve_from(None, os(""), os("/data"), os("/home/me")),
            Some(PathBuf::from("/data/billfold/history.sqlite3"))
        );
        assert_eq!(resolve_from(None, None, None, None), None);
    }
}
