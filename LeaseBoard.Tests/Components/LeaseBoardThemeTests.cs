using LeaseBoard.Components;
using LeaseBoard.Tests.Features.Wall;
using MudBlazor;
using MudBlazor.Utilities;

namespace LeaseBoard.Tests.Components;

/// <summary>
/// Issue 20: the theme's colours meet WCAG 2.1 AA in both palettes, computed from the palettes themselves (axe in the browser
/// checks what a page happens to show; this checks every colour a page could show): text and each state colour as text on
/// the background and the surface (4.5:1), and each colour's contrast text on the colour filled (4.5:1).
/// </summary>
public sealed class LeaseBoardThemeTests
{
    public static TheoryData<string> Palettes() => new("light", "dark");

    [Theory]
    [MemberData(nameof(Palettes))]
    public void Text_and_every_state_colour_read_at_4_5_to_1_on_the_background_the_surface_and_filled(string which)
    {
        Palette palette = which == "light" ? LeaseBoardTheme.Light : LeaseBoardTheme.Dark;
        var grounds = new Dictionary<string, MudColor> { ["background"] = palette.Background, ["surface"] = palette.Surface };
        grounds["a striped table row"] = Over(palette.TableStriped, palette.Surface);
        var problems = new List<string>();
        void Need(string what, MudColor text, MudColor ground)
        {
            var ratio = WallSeverityTests.Contrast(Hex(Over(text, ground)), Hex(ground));
            if (ratio < 4.5) problems.Add($"{what}: {Hex(Over(text, ground))} on {Hex(ground)} is {ratio:0.00}:1");
        }

        foreach (var (name, ground) in grounds)
        {
            Need($"primary text on the {name}", palette.TextPrimary, ground);
            Need($"secondary text on the {name}", palette.TextSecondary, ground);
        }
        foreach (var (name, colour, contrast) in Colours(palette))
        {
            Need($"{name} as text on the background", colour, palette.Background);
            Need($"{name} as text on the surface", colour, palette.Surface);
            Need($"{name}'s contrast text on {name} (filled)", contrast, colour);
        }
        Need("the app bar's text", palette.AppbarText, palette.AppbarBackground);

        Assert.True(problems.Count == 0, $"{which} palette:\n  - " + string.Join("\n  - ", problems));
    }

    [Fact]
    public void MudBlazors_own_palette_would_fail_the_same_check_so_the_check_can_fail()
    {
        var defaults = new PaletteLight();
        Assert.True(WallSeverityTests.Contrast(Hex(defaults.SuccessContrastText), Hex(defaults.Success)) < 4.5); // white on #00C853
        var dark = new PaletteDark();
        Assert.True(WallSeverityTests.Contrast(Hex(Over(dark.TextSecondary, dark.Surface)), Hex(dark.Surface)) < 4.5);
    }

    private static IEnumerable<(string Name, MudColor Colour, MudColor Contrast)> Colours(Palette p) =>
    [
        ("primary", p.Primary, p.PrimaryContrastText), ("secondary", p.Secondary, p.SecondaryContrastText),
        ("tertiary", p.Tertiary, p.TertiaryContrastText), ("info", p.Info, p.InfoContrastText),
        ("success", p.Success, p.SuccessContrastText), ("warning", p.Warning, p.WarningContrastText), ("error", p.Error, p.ErrorContrastText),
    ];

    /// <summary>A colour with alpha painted over an opaque ground.</summary>
    private static MudColor Over(MudColor top, MudColor ground)
    {
        var a = top.A / 255.0;
        byte Mix(byte t, byte g) => (byte)Math.Round(t * a + g * (1 - a));
        return new MudColor(Mix(top.R, ground.R), Mix(top.G, ground.G), Mix(top.B, ground.B), (byte)255);
    }

    private static string Hex(MudColor c) => $"#{c.R:X2}{c.G:X2}{c.B:X2}";
}
