using System.Globalization;
using LeaseBoard.Domain;
using LeaseBoard.Features.Environments;
using LeaseBoard.Features.Wall;

namespace LeaseBoard.Tests.Features.Wall;

/// <summary>The wall's one order of severity, its words, icons and colours — and that white text on every colour passes WCAG AA.</summary>
public sealed class WallSeverityTests
{
    [Fact]
    public void Severity_runs_from_available_to_hung_with_attention_above_all_trouble_of_the_environment()
    {
        WallSeverity[] loudestFirst =
        [
            WallSeverity.Hung, WallSeverity.Attention, WallSeverity.Unhealthy, WallSeverity.Quarantined,
            WallSeverity.Degraded, WallSeverity.Leased, WallSeverity.Cleaning, WallSeverity.Available,
        ];
        Assert.Equal(loudestFirst, Enum.GetValues<WallSeverity>().OrderDescending());
        Assert.All(loudestFirst.Take(2), s => Assert.True(s.IsAlarm()));
        Assert.All(loudestFirst.Skip(2), s => Assert.False(s.IsAlarm()));
    }

    [Theory]
    [InlineData(EnvironmentState.Leased, HealthStatus.Healthy, true, true, false, WallSeverity.Hung)]
    [InlineData(EnvironmentState.Leased, HealthStatus.Unhealthy, true, true, false, WallSeverity.Hung)]
    [InlineData(EnvironmentState.Quarantined, HealthStatus.Unknown, false, false, true, WallSeverity.Attention)]
    [InlineData(EnvironmentState.Quarantined, HealthStatus.Unhealthy, false, false, true, WallSeverity.Attention)]
    [InlineData(EnvironmentState.Quarantined, HealthStatus.Unhealthy, false, false, false, WallSeverity.Unhealthy)] // auto-quarantined: red, not calm blue
    [InlineData(EnvironmentState.Leased, HealthStatus.Unhealthy, true, false, false, WallSeverity.Unhealthy)]
    [InlineData(EnvironmentState.Quarantined, HealthStatus.Healthy, false, false, false, WallSeverity.Quarantined)]
    [InlineData(EnvironmentState.Quarantined, HealthStatus.Degraded, false, false, false, WallSeverity.Quarantined)]
    [InlineData(EnvironmentState.Leased, HealthStatus.Degraded, true, false, false, WallSeverity.Degraded)]
    [InlineData(EnvironmentState.Available, HealthStatus.Degraded, false, false, false, WallSeverity.Degraded)]
    [InlineData(EnvironmentState.Leased, HealthStatus.Healthy, true, false, false, WallSeverity.Leased)]
    [InlineData(EnvironmentState.Leased, HealthStatus.Unknown, false, false, false, WallSeverity.Leased)]
    [InlineData(EnvironmentState.CleaningUp, HealthStatus.Healthy, false, false, false, WallSeverity.Cleaning)]
    [InlineData(EnvironmentState.Available, HealthStatus.Healthy, false, false, false, WallSeverity.Available)]
    [InlineData(EnvironmentState.Available, HealthStatus.Unknown, false, false, false, WallSeverity.Available)]
    public void The_loudest_thing_true_of_an_environment_decides_its_severity(EnvironmentState state, HealthStatus health, bool leased, bool hung,
        bool needsAttention, WallSeverity expected) =>
        Assert.Equal(expected, WallSeverities.Of(state, health, leased, hung, needsAttention));

    [Fact]
    public void Every_severity_has_its_own_word_and_icon_and_every_calm_one_its_own_background()
    {
        var all = Enum.GetValues<WallSeverity>();
        Assert.Equal(["Available", "Cleaning", "Leased", "Degraded", "Quarantined", "Unhealthy", "Attention", "Hung"], all.Select(WallSeverities.WordOf));
        Assert.Equal(all.Length, all.Select(WallSeverities.IconOf).Distinct().Count());
        // Hung and attention share the attention red (told apart by word and icon); nothing else uses it or another's background.
        var calm = all.Where(s => !s.IsAlarm()).Select(s => WallSeverities.ColoursOf(s).Background).ToList();
        Assert.Equal(calm.Count, calm.Distinct(StringComparer.OrdinalIgnoreCase).Count());
        Assert.DoesNotContain(EnvironmentStateStyle.Attention.Background, calm, StringComparer.OrdinalIgnoreCase);
        Assert.Equal(EnvironmentStateStyle.Attention, WallSeverities.ColoursOf(WallSeverity.Hung));
    }

    [Fact]
    public void The_wall_uses_the_apps_colour_for_each_environment_state()
    {
        Assert.Equal(EnvironmentStateStyle.TileOf(EnvironmentState.Available), WallSeverities.ColoursOf(WallSeverity.Available));
        Assert.Equal(EnvironmentStateStyle.TileOf(EnvironmentState.Leased), WallSeverities.ColoursOf(WallSeverity.Leased));
        Assert.Equal(EnvironmentStateStyle.TileOf(EnvironmentState.CleaningUp), WallSeverities.ColoursOf(WallSeverity.Cleaning));
        Assert.Equal(EnvironmentStateStyle.TileOf(EnvironmentState.Quarantined), WallSeverities.ColoursOf(WallSeverity.Quarantined));
    }

    /// <summary>White text (and the #e6e6e6 detail text) on every tile colour, bare and under the progress fill, is at least 4.5:1.</summary>
    [Theory]
    [MemberData(nameof(Severities))]
    public void Text_on_every_tile_colour_passes_WCAG_AA(WallSeverity severity)
    {
        var colours = WallSeverities.ColoursOf(severity);
        var backgrounds = new[] { colours.Background, colours.Stripe }.OfType<string>()
            .SelectMany(b => new[] { b, Blend(b, "#FFFFFF", ProgressFillAlpha) }); // the fill (WallTile.razor.css) lightens what it covers
        foreach (var background in backgrounds)
        {
            Assert.True(Contrast(TileColours.Text, background) >= 4.5, $"{severity}: white on {background} is {Contrast(TileColours.Text, background):0.00}:1");
            Assert.True(Contrast("#E6E6E6", background) >= 4.5, $"{severity}: detail text on {background} is {Contrast("#E6E6E6", background):0.00}:1");
        }
    }

    [Fact]
    public void The_contrast_formula_matches_known_values()
    {
        Assert.Equal(21, Contrast("#000000", "#FFFFFF"), 2);
        Assert.Equal(4.54, Contrast("#767676", "#FFFFFF"), 2); // the classic lightest grey that passes AA on white
        // The yellow plates (hung state word, ageing heartbeat) carry dark text.
        Assert.True(Contrast("#111111", "#FFD600") >= 4.5);
        Assert.True(Contrast("#111111", "#F1C40F") >= 4.5);
    }

    public static TheoryData<WallSeverity> Severities() => new(Enum.GetValues<WallSeverity>());

    /// <summary>The progress fill's white alpha in WallTile.razor.css.</summary>
    private const double ProgressFillAlpha = 0.12;

    /// <summary>WCAG 2.2 contrast ratio of two sRGB hex colours.</summary>
    public static double Contrast(string a, string b)
    {
        var (la, lb) = (Luminance(a), Luminance(b));
        return (Math.Max(la, lb) + 0.05) / (Math.Min(la, lb) + 0.05);
    }

    private static double Luminance(string hex)
    {
        var (r, g, b) = Rgb(hex);
        return 0.2126 * Linear(r) + 0.7152 * Linear(g) + 0.0722 * Linear(b);
        static double Linear(int channel)
        {
            var c = channel / 255.0;
            return c <= 0.04045 ? c / 12.92 : Math.Pow((c + 0.055) / 1.055, 2.4);
        }
    }

    private static (int R, int G, int B) Rgb(string hex)
    {
        var h = hex.TrimStart('#');
        return (int.Parse(h[..2], NumberStyles.HexNumber, CultureInfo.InvariantCulture), int.Parse(h[2..4], NumberStyles.HexNumber, CultureInfo.InvariantCulture),
            int.Parse(h[4..6], NumberStyles.HexNumber, CultureInfo.InvariantCulture));
    }

    private static string Blend(string background, string overlay, double alpha)
    {
        var (br, bg, bb) = Rgb(background);
        var (or, og, ob) = Rgb(overlay);
        int Mix(int b, int o) => (int)Math.Round(b * (1 - alpha) + o * alpha);
        return $"#{Mix(br, or):X2}{Mix(bg, og):X2}{Mix(bb, ob):X2}";
    }
}
