using LeaseBoard.Domain;
using MudBlazor;

namespace LeaseBoard.Features.Environments;

/// <summary>
/// One colour and one word per environment state, everywhere in the app (calendar lanes, booking page, admin
/// page); the wall's quarantine stripes are the same blue as <see cref="Color.Info"/>.
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
}
