namespace LeaseBoard.Components;

/// <summary>
/// The viewer's light/dark choice, remembered in a cookie so the server renders the right theme from the
/// first paint (no light flash before the circuit starts). App.razor reads the cookie and hands it to
/// Routes as a parameter, which reaches the prerender and the circuit alike; Routes puts it here for the layout.
/// </summary>
public sealed class ThemeChoice
{
    public const string CookieName = "leaseboard-theme";

    public bool IsDark { get; set; }

    public static bool IsDarkCookie(string? value) => value == "dark";
}
