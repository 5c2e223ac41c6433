using MudBlazor;

namespace LeaseBoard.Components;

/// <summary>
/// The app's one MudBlazor theme, light and dark, for the main layout and the card pages (sign-in, error) alike.
/// Every colour that text or a filled control is drawn in is chosen for WCAG 2.1 AA: text on the background and
/// surface, and each colour's contrast text on the colour itself, at least 4.5:1 (LeaseBoardThemeTests computes
/// the ratios). MudBlazor's own defaults miss that (white on its green #00C853 is 2.0:1, its dark secondary text
/// 4.25:1), so the light palette uses darker hues and the dark palette light hues with dark text on them.
/// </summary>
public static class LeaseBoardTheme
{
    /// <summary>The dark palette's text on its bright colours (a near-black blue).</summary>
    public const string DarkContrastText = "#0D1117";

    public static readonly PaletteLight Light = new()
    {
        Primary = "#1F5FA8",
        Secondary = "#C2185B",
        Tertiary = "#00695C",
        Info = "#1565C0",
        Success = "#2E7D32",
        Warning = "#A35200",
        Error = "#C62828",
        AppbarBackground = "#1F3A5F",
        TextSecondary = "rgba(0,0,0,0.62)",
    };

    public static readonly PaletteDark Dark = new()
    {
        Primary = "#6EA8FE",
        PrimaryContrastText = DarkContrastText,
        Secondary = "#FF80AB",
        SecondaryContrastText = DarkContrastText,
        Tertiary = "#4DB6AC",
        TertiaryContrastText = DarkContrastText,
        Info = "#64B5F6",
        InfoContrastText = DarkContrastText,
        Success = "#4ADE80",
        SuccessContrastText = DarkContrastText,
        Warning = "#FFB74D",
        WarningContrastText = DarkContrastText,
        Error = "#FF8A80",
        ErrorContrastText = DarkContrastText,
        TextPrimary = "rgba(255,255,255,0.87)",
        TextSecondary = "rgba(255,255,255,0.70)",
        // MudBlazor's dark stripe (20 % white) leaves its own text at 4.1:1.
        TableStriped = "rgba(255,255,255,0.06)",
    };

    public static readonly MudTheme Theme = new() { PaletteLight = Light, PaletteDark = Dark };
}
