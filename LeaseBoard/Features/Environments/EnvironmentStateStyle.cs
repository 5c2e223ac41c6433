using LeaseBoard.Domain;
using MudBlazor;

namespace LeaseBoard.Features.Environments;

/// <summary>
/// One colour and one word per environment state, everywhere in the app (calendar lanes, booking page, admin
/// page). The wall paints whole tiles, so it uses a dark shade of the same hue as the background (white text
/// on it passes WCAG AA) and the bright hue as the border: <see cref="TileOf(EnvironmentState)"/>.
/// </summary>
public static class EnvironmentStateStyle
{
    public static Color ColorOf(EnvironmentState state) => state switch
    {
        EnvironmentState.Available => Color.Success,
        EnvironmentState.Leased => Color.Primary,
        EnvironmentState.CleaningUp => Color.Secondary,
        EnvironmentState.Quarantined => Color.Info,
        _ => Color.Default,
    };

    public static string LabelOf(EnvironmentState state) => state == EnvironmentState.CleaningUp ? "Cleaning up" : state.ToString();

    // Full-tile colours. Backgrounds are dark shades (white text ≥ 4.5:1, tested); edges are the bright hues.
    /// <summary>Success's green: free to book.</summary>
    public static readonly TileColours Available = new("#006400", "#2FCC66");
    /// <summary>Primary's blue: a test holds it.</summary>
    public static readonly TileColours Leased = new("#1A4F8C", "#6EA8FE");
    /// <summary>Secondary's pink, darkened to purple so it is not read as the reds of trouble.</summary>
    public static readonly TileColours CleaningUp = new("#7B1FA2", "#FF4081");
    /// <summary>Info's blue on the border, over blue-grey stripes: out of service on purpose.</summary>
    public static readonly TileColours Quarantined = new("#263238", "#3498DB", Stripe: "#37474F");
    /// <summary>Health: slow.</summary>
    public static readonly TileColours Degraded = new("#5E4B00", "#F1C40F");
    /// <summary>Health: failing its checks.</summary>
    public static readonly TileColours Unhealthy = new("#8B0000", "#E74C3C");
    /// <summary>A person must act now: a hung run, a stop that failed, a framework that does not answer. The loudest on the wall.</summary>
    public static readonly TileColours Attention = new("#B30000", "#FFFFFF");

    public static TileColours TileOf(EnvironmentState state) => state switch
    {
        EnvironmentState.Available => Available,
        EnvironmentState.Leased => Leased,
        EnvironmentState.CleaningUp => CleaningUp,
        EnvironmentState.Quarantined => Quarantined,
        _ => new TileColours("#474747", "#B3BAC5"),
    };
}

/// <summary>A tile's colours as CSS hex: the background, its border, and (quarantine) a second stripe colour. Text is white.</summary>
public sealed record TileColours(string Background, string Edge, string? Stripe = null)
{
    public const string Text = "#FFFFFF";
}
