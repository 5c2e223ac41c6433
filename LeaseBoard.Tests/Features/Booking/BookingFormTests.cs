using AngleSharp.Dom;
using Bunit;
using LeaseBoard.Domain;
using LeaseBoard.Features.Booking;
using LeaseBoard.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace LeaseBoard.Tests.Features.Booking;

/// <summary>The booking form as a user meets it; "now" is Monday 30 Nov 2026 09:02 UTC and the viewer is in UTC.</summary>
public sealed class BookingFormTests : ComponentTestBase
{
    private readonly List<Reservation> _booked = [];
    private IRenderedComponent<MudPopoverProvider>? _popovers;

    [Fact]
    public void The_test_ids_sit_on_the_elements_a_user_types_into()
    {
        var form = RenderForm();

        // The start is a date field and a 24-hour time field (a native datetime-local follows the browser's locale: AM/PM in en-US).
        Assert.Equal("2026-11-30T09:05", DateTimeFields.ValueOf(form.Find, "booking-start")); // the next grid step from now
        var date = form.Find("[data-testid=booking-start-date] input");
        var time = form.Find("[data-testid=booking-start-time] input");
        Assert.Equal(("text", "2026-11-30"), (date.GetAttribute("type"), date.GetAttribute("value")));
        Assert.Equal(("text", "09:05"), (time.GetAttribute("type"), time.GetAttribute("value")));
        Assert.Equal("INPUT", form.Find("[data-testid=booking-duration]").TagName);
        Assert.Equal("INPUT", form.Find("[data-testid=booking-title]").TagName);
        Assert.Equal("BUTTON", form.Find("[data-testid=booking-submit]").TagName);
    }

    [Fact]
    public async Task An_empty_title_shows_the_validation_message_and_books_nothing()
    {
        var form = RenderForm();
        Fill(form, start: "2026-11-30T14:00", minutes: 90, title: "");

        var result = Submit(form);

        Assert.Equal("invalid", result.GetAttribute("data-outcome"));
        Assert.Contains("Give the reservation a title, so others know what runs there.", result.TextContent);
        Assert.Empty(await ReservationsAsync());
        Assert.Empty(_booked);
    }

    [Fact]
    public async Task A_start_in_the_past_shows_its_message_and_books_nothing()
    {
        var form = RenderForm();
        Fill(form, start: "2026-11-30T08:30", minutes: 60, title: "Too late");

        var result = Submit(form);

        Assert.Equal("invalid", result.GetAttribute("data-outcome"));
        Assert.Contains("The start lies in the past. Pick a start from now on.", result.TextContent);
        Assert.Empty(await ReservationsAsync());
    }

    [Fact]
    public async Task A_start_off_the_grid_shows_its_message_and_books_nothing()
    {
        var form = RenderForm();
        Fill(form, start: "2026-11-30T14:03", minutes: 60, title: "Odd start");

        var result = Submit(form);

        Assert.Equal("invalid", result.GetAttribute("data-outcome"));
        Assert.Contains("Start and end must fall on the 5-minute grid (for example 14:00, 14:05, 14:10).", result.TextContent);
        Assert.Empty(await ReservationsAsync());
    }

    [Fact]
    public async Task A_free_slot_is_booked_for_the_signed_in_user_and_reported_as_booked()
    {
        var form = RenderForm();
        Fill(form, start: "2026-11-30T14:00", minutes: 90, title: "Checkout load test");

        var result = Submit(form);

        Assert.Equal("booked", result.GetAttribute("data-outcome"));
        Assert.Contains("Booked 'Checkout load test' on Env 1, Mon 30 Nov 14:00–15:30.", result.TextContent);
        var stored = Assert.Single(await ReservationsAsync());
        Assert.Equal(("env-1", "local:ana", "Ana", At(14), At(15, 30)), (stored.EnvironmentKey, stored.OwnerId, stored.OwnerName, stored.StartUtc, stored.EndUtc));
        Assert.Equal(stored.Id, Assert.Single(_booked).Id);
        Assert.Equal("", form.Find("[data-testid=booking-title]").GetAttribute("value") ?? ""); // ready for the next one
    }

    [Fact]
    public async Task A_title_typed_and_booked_straight_away_is_booked_and_the_counter_counts_as_one_types()
    {
        var form = RenderForm();
        DateTimeFields.Type(form.Find, "booking-start", "2026-11-30T14:00");
        var title = form.Find("[data-testid=booking-title]");

        title.Input("Checkout load test"); // typing only: no change event, no blur before the click
        Assert.Contains("18 / 120", title.Closest(".mud-input-control")!.QuerySelector(".mud-input-helper-text")!.TextContent);
        form.Find("[data-testid=booking-spec]").Input("users=500");
        form.Find("[data-testid=booking-submit]").Click();

        var result = form.WaitForElement("[data-testid=booking-result]");
        Assert.Equal("booked", result.GetAttribute("data-outcome"));
        var stored = Assert.Single(await ReservationsAsync());
        Assert.Equal(("Checkout load test", "users=500"), (stored.Title, stored.TestSpec));
    }

    [Fact]
    public void The_environment_picker_shows_each_environments_description()
    {
        var rows = Rows().Select(r => r.Key == "env-3" ? r with { Description = "High memory, 64 GiB" } : r).ToList();
        var form = RenderForm(rows);

        form.Find("[data-testid=booking-environment]").MouseDown();

        var items = _popovers!.WaitForElements(".mud-list-item");
        var env3 = items.Single(i => i.QuerySelector("[data-testid=environment-option-name]")?.TextContent.Trim() == "Env 3");
        Assert.Equal("High memory, 64 GiB", env3.QuerySelector("[data-testid=environment-option-description]")!.TextContent.Trim());
        var env1 = items.Single(i => i.QuerySelector("[data-testid=environment-option-name]")?.TextContent.Trim() == "Env 1");
        Assert.Null(env1.QuerySelector("[data-testid=environment-option-description]"));
    }

    [Fact]
    public async Task A_taken_slot_shows_who_holds_it_and_the_next_free_slot_which_books_with_one_click()
    {
        var service = Services.GetRequiredService<BookingService>();
        var held = await service.BookAsync(new BookingRequest(Env(2).Id, At(14), TimeSpan.FromHours(1), "Soak test", TestKind.Soak, ""), TestActors.Ben);
        Assert.True(held.Succeeded, held.Message);
        var form = RenderForm();
        ChooseEnvironment(form, "Env 2");
        Fill(form, start: "2026-11-30T14:30", minutes: 60, title: "Chaos run");

        var result = Submit(form);

        Assert.Equal("conflict", result.GetAttribute("data-outcome"));
        Assert.Contains("Env 2 is taken Mon 30 Nov 14:00–15:00 by 'Soak test' (Ben), with a 10 minutes changeover after it.",
            result.TextContent);
        Assert.Contains("Free instead: Env 1, Mon 30 Nov 14:30–15:30", result.TextContent);
        // One choice per environment, up to three, so that everyone who lost the slot does not race again for one.
        Assert.Equal(["Env 1", "Env 3", "Env 4"], form.FindAll("[data-testid=booking-alternative] b").Select(b => b.TextContent).ToList());

        form.Find("[data-testid=booking-suggestion]").Click();

        form.WaitForAssertion(() => Assert.Equal("booked", form.Find("[data-testid=booking-result]").GetAttribute("data-outcome")));
        var mine = (await ReservationsAsync()).Where(r => r.OwnerId == TestActors.Ana.Id).ToList();
        var booked = Assert.Single(mine);
        Assert.Equal(("env-1", "Chaos run", At(14, 30), At(15, 30)), (booked.EnvironmentKey, booked.Title, booked.StartUtc, booked.EndUtc));
    }

    private static readonly TimeZoneInfo NewYork = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");

    [Theory]
    [InlineData(-240, 5)] // 01:30 EDT, the first time round
    [InlineData(-300, 6)] // 01:30 EST, an hour later
    public async Task A_start_that_happens_twice_asks_which_one_showing_both_offsets_and_books_the_one_picked(int offsetMinutes, int utcHour)
    {
        Clock.SetUtcNow(new DateTimeOffset(2027, 11, 6, 12, 0, 0, TimeSpan.Zero));
        ViewerTime.Use(NewYork);
        var form = RenderForm();
        Fill(form, start: "2027-11-07T01:30", minutes: 60, title: "Night soak");

        var choices = form.FindAll("[data-testid=booking-start-offset-choice]");
        Assert.Equal(["01:30 EDT (UTC\u22124)", "01:30 EST (UTC\u22125)"], choices.Select(c => c.TextContent.Trim()).ToList());
        Assert.All(choices, c => Assert.Equal("false", c.GetAttribute("aria-checked"))); // nothing guessed for the user

        var unanswered = Submit(form);
        Assert.Equal("invalid", unanswered.GetAttribute("data-outcome"));
        Assert.Contains("01:30 happens twice on Sun 7 Nov 2027 in America/New_York (the clocks go back an hour). Choose 01:30 EDT (UTC\u22124) or 01:30 EST (UTC\u22125).",
            unanswered.TextContent);
        Assert.Empty(await ReservationsAsync());

        form.FindAll("[data-testid=booking-start-offset-choice]").Single(c => c.GetAttribute("data-offset") == offsetMinutes.ToString()).Click();
        form.Find("[data-testid=booking-submit]").Click();

        form.WaitForAssertion(() => Assert.Equal("booked", form.Find("[data-testid=booking-result]").GetAttribute("data-outcome")));
        var stored = Assert.Single(await ReservationsAsync());
        Assert.Equal(new DateTime(2027, 11, 7, utcHour, 30, 0, DateTimeKind.Utc), stored.StartUtc);
    }

    [Fact]
    public async Task A_start_the_clocks_skip_says_so_and_books_nothing()
    {
        Clock.SetUtcNow(new DateTimeOffset(2027, 3, 13, 12, 0, 0, TimeSpan.Zero));
        ViewerTime.Use(NewYork);
        var form = RenderForm();
        Fill(form, start: "2027-03-14T02:30", minutes: 60, title: "Gap test");

        var result = Submit(form);

        Assert.Equal("invalid", result.GetAttribute("data-outcome"));
        Assert.Contains("02:30 does not exist on Sun 14 Mar 2027 in America/New_York: the clocks go forward an hour that night. Pick another start.", result.TextContent);
        Assert.Empty(form.FindAll("[data-testid=booking-start-offset-choice]"));
        Assert.Empty(await ReservationsAsync());
    }

    [Fact]
    public async Task A_slot_handed_over_in_the_repeated_hour_keeps_its_instant()
    {
        Clock.SetUtcNow(new DateTimeOffset(2027, 11, 6, 12, 0, 0, TimeSpan.Zero));
        ViewerTime.Use(NewYork);
        var form = RenderForm();
        var secondTime = new DateTime(2027, 11, 7, 6, 30, 0, DateTimeKind.Utc); // 01:30 EST
        await form.InvokeAsync(() => form.Instance.Prefill(null, secondTime, TimeSpan.FromMinutes(60)));
        form.Find("[data-testid=booking-title]").Input("Handed over");

        Assert.Equal("true", form.FindAll("[data-testid=booking-start-offset-choice]").Single(c => c.GetAttribute("data-offset") == "-300").GetAttribute("aria-checked"));
        Assert.Equal("booked", Submit(form).GetAttribute("data-outcome"));
        Assert.Equal(secondTime, Assert.Single(await ReservationsAsync()).StartUtc);
    }

    private List<EnvironmentRow> Rows() =>
        Environments.Select(e => new EnvironmentRow(e.Id, e.Key, e.Name, e.Description, e.State, e.Health, e.QuarantineReason)).ToList();

    private IRenderedComponent<BookingForm> RenderForm(IReadOnlyList<EnvironmentRow>? rows = null)
    {
        _popovers = Render<MudPopoverProvider>(); // MudSelect lists its items in a popover
        return Render<BookingForm>(p => p
            .Add(x => x.Environments, rows ?? Rows())
            .Add(x => x.OnBooked, (Reservation r) => _booked.Add(r)));
    }

    private static void Fill(IRenderedComponent<BookingForm> form, string start, int minutes, string title)
    {
        DateTimeFields.Type(form.Find, "booking-start", start);
        form.Find("[data-testid=booking-duration]").Change(minutes.ToString(System.Globalization.CultureInfo.InvariantCulture));
        form.Find("[data-testid=booking-title]").Input(title);
    }

    private void ChooseEnvironment(IRenderedComponent<BookingForm> form, string name)
    {
        form.Find("[data-testid=booking-environment]").MouseDown();
        var item = _popovers!.WaitForElements(".mud-list-item").Single(i => i.TextContent.Trim() == name);
        item.Click();
        form.WaitForAssertion(() => Assert.Contains(name, form.Find("[data-testid=booking-environment]").TextContent));
    }

    private static IElement Submit(IRenderedComponent<BookingForm> form)
    {
        form.Find("[data-testid=booking-submit]").Click();
        return form.WaitForElement("[data-testid=booking-result]");
    }
}
