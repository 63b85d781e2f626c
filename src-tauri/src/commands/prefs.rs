use crate::state::AppState;
use bulkhead_core::prefs::{Preferences, PrefsLoaded, Theme};
use bulkhead_core::Error;
use tauri::{Runtime, State, WebviewWindow};

/// The desktop's theme for the window's own frame (GTK's prefer-dark setting): the choice
/// made, or the desktop's when "as the system".
pub fn apply_theme<R: Runtime>(window: &WebviewWindow<R>, theme: Theme) {
    let t = match theme {
        Theme::System => None,
        Theme::Light => Some(tauri::Theme::Light),
        Theme::Dark => Some(tauri::Theme::Dark),
    };
    let _ = window.set_theme(t);
}

/// The preferences, and what was wrong with their file (said once, at start-up).
#[tauri::command]
pub fn prefs_get(state: State<'_, AppState>) -> PrefsLoaded {
    state.prefs_loaded()
}

/// Checks and saves the preferences; the window's frame follows the theme at once.
#[tauri::command]
pub fn prefs_set<R: Runtime>(
    window: WebviewWindow<R>,
    state: State<'_, AppState>,
    prefs: Preferences,
) -> Result<Preferences, Error> {
    state.save_prefs(&prefs)?;
    apply_theme(&window, prefs.theme);
    Ok(prefs)
}
