using System.Globalization;
using Bunit;
using LeaseBoard.Components;
using LeaseBoard.Tests.TestSupport;
using MudBlazor;

namespace LeaseBoard.Tests.Components;

/// <summary>The date-and-time field every form uses: 24-hour whatever the culture, the forms' "yyyy-MM-ddTHH:mm" value in and out.</summary>
public sealed class DateTimeFieldTests : ComponentTestBase
{
    private readonly List<string?> _changes = [];

    private IRenderedComponent<DateTimeField> RenderField(string? value)
    {
        Render<MudPopoverProvider>();
        return Render<DateTimeField>(p => p
            .Add(x => x.Label, "Start")
            .Add(x => x.TestId, "start")
            .Add(x => x.Value, value)
            .Add(x => x.ValueChanged, (string? v) => _changes.Add(v)));
    }

    [Fact]
    public void A_value_shows_as_a_date_and_a_24_hour_time_even_where_the_culture_writes_PM()
    {
        var culture = (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture);
        try
        {
            CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = CultureInfo.GetCultureInfo("en-US");
            var field = RenderField("2026-11-30T14:05");

            Assert.Equal("2026-11-30", field.Find("[data-testid=start-date] input").GetAttribute("value"));
            Assert.Equal("14:05", field.Find("[data-testid=start-time] input").GetAttribute("value"));
            Assert.Equal("2026-11-30T14:05", field.Find("[data-testid=start]").GetAttribute("data-value"));
            Assert.DoesNotContain("PM", field.Markup);
        }
        finally
        {
            (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture) = culture;
        }
    }

    [Fact]
    public void Typed_dates_and_times_come_out_as_the_forms_value_and_a_day_alone_starts_at_midnight()
    {
        var field = RenderField(null);

        field.Find("[data-testid=start-date] input").Change("2026-12-01");
        Assert.Equal("2026-12-01T00:00", Assert.Single(_changes));
        Assert.Equal("00:00", field.Find("[data-testid=start-time] input").GetAttribute("value"));

        field.Find("[data-testid=start-time] input").Change("22:30");
        Assert.Equal("2026-12-01T22:30", _changes[^1]);

        field.Find("[data-testid=start-date] input").Change("");
        Assert.Null(_changes[^1]); // no date, no value: the form says what is missing
    }
}
