using Bunit;
using LeaseBoard.Domain;
using LeaseBoard.Features.Admin;
using LeaseBoard.Features.Booking;
using LeaseBoard.Features.SignIn;
using LeaseBoard.Tests.TestSupport;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace LeaseBoard.Tests.Features.Admin;

/// <summary>
/// Teams from Entra groups at sign-in or set by an admin, and an admin's temporary exception from the fair-use limits:
/// through the real services and guard on a real database, then on the admin page and My reservations.
/// </summary>
public sealed class FairUseAdminTests
{
    private static readonly TimeSpan ThreeHours = TimeSpan.FromHours(3);
    private const string PaymentsGroup = "6f1c0c1e-0000-4000-8000-00000000a11e";

    private static BookingOptions WithTeams() => new()
    {
        Teams =
        [
            new TeamOptions { Name = "payments", EntraGroup = PaymentsGroup, WeeklyHours = 8, MaxConcurrent = 3 },
            new TeamOptions { Name = "search", WeeklyHours = 60, MaxConcurrent = 3 },
        ],
    };

    private sealed record Parts(BookingHarness H, Teams Teams, PeopleService People, FairUseAdmin Admin) : IAsyncDisposable
    {
        public static async Task<Parts> CreateAsync(BookingOptions? options = null)
        {
            var h = await BookingHarness.CreateAsync(options: options ?? WithTeams());
            var teams = new Teams(h.Database, new StaticOptionsMonitor<BookingOptions>(h.Options), h.Clock);
            var parts = new Parts(h, teams, new PeopleService(h.Database, h.Clock), new FairUseAdmin(h.Database, teams, h.Clock));
            foreach (var person in new[] { TestActors.Ana, TestActors.Ben, TestActors.Admin }) await parts.People.RecordSignInAsync(person);
            return parts;
        }

        /// <summary>A sign-in as the wiring does it (SignInSetup): the person's groups decide their team.</summary>
        public Task SignInAsync(Actor person, params string[] groups) => People.RecordSignInAsync(person, current => Teams.AfterSignIn(current, groups));

        public async Task<string?> TeamOfAsync(Actor person)
        {
            await using var db = H.Database.CreateDbContext();
            return await db.People.Where(p => p.Id == person.Id).Select(p => p.Team).SingleAsync();
        }

        public async Task<List<AuditEntry>> AuditAsync(string action)
        {
            await using var db = H.Database.CreateDbContext();
            return await db.AuditEntries.Where(a => a.Action == action).ToListAsync();
        }

        public ValueTask DisposeAsync() => H.DisposeAsync();
    }

    [Fact]
    public async Task A_sign_in_puts_a_person_in_the_team_of_their_Entra_group_and_leaving_the_group_leaves_the_team()
    {
        await using var p = await Parts.CreateAsync();

        await p.SignInAsync(TestActors.Ana, "some-other-group", PaymentsGroup.ToUpperInvariant());
        Assert.Equal("payments", await p.TeamOfAsync(TestActors.Ana));

        await p.SignInAsync(TestActors.Ana, "some-other-group");
        Assert.Null(await p.TeamOfAsync(TestActors.Ana));
    }

    [Fact]
    public async Task A_team_an_admin_set_survives_sign_ins_and_is_audited_with_its_reason()
    {
        await using var p = await Parts.CreateAsync();

        var set = await p.Admin.SetTeamAsync(TestActors.Admin, TestActors.Ben.Id, "Search", "  moved to search this quarter \n");
        await p.SignInAsync(TestActors.Ben);

        Assert.True(set.Succeeded, set.Message);
        Assert.Equal("Ben is now in search (was no team).", set.Message);
        Assert.Equal("search", await p.TeamOfAsync(TestActors.Ben));
        var audit = Assert.Single(await p.AuditAsync(AuditActions.TeamSet));
        Assert.EndsWith("Reason: moved to search this quarter", audit.Details);
    }

    [Fact]
    public async Task Setting_a_team_that_is_not_configured_or_without_a_reason_or_as_a_non_admin_changes_nothing()
    {
        await using var p = await Parts.CreateAsync();

        var unknown = await p.Admin.SetTeamAsync(TestActors.Admin, TestActors.Ben.Id, "billing", "reorg");
        var noReason = await p.Admin.SetTeamAsync(TestActors.Admin, TestActors.Ben.Id, "search", "   ");
        var notAdmin = await p.Admin.SetTeamAsync(TestActors.Ana, TestActors.Ben.Id, "search", "I want Ben in search");
        var nobody = await p.Admin.SetTeamAsync(TestActors.Admin, "local:nobody", "search", "reorg");

        Assert.Equal((AdminOutcome.Invalid, "There is no team 'billing'. Teams are configured under LeaseBoard:Booking:Teams: payments, search."), (unknown.Outcome, unknown.Message));
        Assert.Equal((AdminOutcome.Invalid, "A reason is required."), (noReason.Outcome, noReason.Message));
        Assert.Equal(AdminOutcome.Forbidden, notAdmin.Outcome);
        Assert.Equal(AdminOutcome.NotFound, nobody.Outcome);
        Assert.Null(await p.TeamOfAsync(TestActors.Ben));
        Assert.Empty(await p.AuditAsync(AuditActions.TeamSet));
    }

    [Fact]
    public async Task An_exception_lets_a_person_past_the_share_with_every_use_audited_until_it_is_revoked()
    {
        await using var p = await Parts.CreateAsync();
        var h = p.H;
        Assert.Equal(BookingOutcome.Booked, (await h.BookAsync(1, h.At(10), ThreeHours)).Outcome);
        Assert.Equal(BookingOutcome.Booked, (await h.BookAsync(2, h.At(10), ThreeHours)).Outcome);
        Assert.Equal(BookingOutcome.LimitReached, (await h.BookAsync(3, h.At(10), ThreeHours)).Outcome);

        var granted = await p.Admin.GrantExceptionAsync(TestActors.Admin, TestActors.Ana.Id, h.At(18), "Release-candidate soak on three environments");
        var third = await h.BookAsync(3, h.At(10), ThreeHours);

        Assert.True(granted.Succeeded, granted.Message);
        Assert.Equal(BookingOutcome.Booked, third.Outcome);
        var used = Assert.Single(await p.AuditAsync(AuditActions.LimitExempted));
        Assert.Contains("Release-candidate soak on three environments", used.Details);
        Assert.Contains("one person may hold at most 2 environments at once", used.Details);
        Assert.Single(await p.AuditAsync(AuditActions.LimitExceptionGranted));
        var row = (await p.Admin.PeopleAsync()).Single(r => r.Id == TestActors.Ana.Id);
        Assert.Equal(h.At(18), row.Exception?.EndsUtc);

        var revoked = await p.Admin.RevokeExceptionAsync(TestActors.Admin, TestActors.Ana.Id, "soak done");
        var fourth = await h.BookAsync(4, h.At(10), ThreeHours);

        Assert.True(revoked.Succeeded, revoked.Message);
        Assert.Equal(BookingOutcome.LimitReached, fourth.Outcome);
        Assert.Single(await p.AuditAsync(AuditActions.LimitExceptionRevoked));
        Assert.Null((await p.Admin.PeopleAsync()).Single(r => r.Id == TestActors.Ana.Id).Exception);
    }

    [Fact]
    public async Task An_exception_ends_by_itself_and_one_in_the_past_or_too_long_is_refused()
    {
        await using var p = await Parts.CreateAsync();
        var h = p.H;

        var past = await p.Admin.GrantExceptionAsync(TestActors.Admin, TestActors.Ana.Id, h.Now.AddMinutes(-1), "late");
        var tooLong = await p.Admin.GrantExceptionAsync(TestActors.Admin, TestActors.Ana.Id, h.Now.AddDays(91), "forever");
        var notAdmin = await p.Admin.GrantExceptionAsync(TestActors.Ben, TestActors.Ben.Id, h.Now.AddDays(1), "I deserve it");
        Assert.Equal((AdminOutcome.Invalid, "The exception must end in the future."), (past.Outcome, past.Message));
        Assert.Equal((AdminOutcome.Invalid, "An exception lasts at most 90 days; grant a new one when it ends."), (tooLong.Outcome, tooLong.Message));
        Assert.Equal(AdminOutcome.Forbidden, notAdmin.Outcome);

        Assert.True((await p.Admin.GrantExceptionAsync(TestActors.Admin, TestActors.Ana.Id, h.Now.AddHours(1), "one hour")).Succeeded);
        h.Clock.Advance(TimeSpan.FromHours(1));
        Assert.Equal(BookingOutcome.Booked, (await h.BookAsync(1, h.At(14), ThreeHours)).Outcome);
        Assert.Equal(BookingOutcome.Booked, (await h.BookAsync(2, h.At(14), ThreeHours)).Outcome);
        Assert.Equal(BookingOutcome.LimitReached, (await h.BookAsync(3, h.At(14), ThreeHours)).Outcome);
        Assert.Empty(await p.AuditAsync(AuditActions.LimitExempted));
    }

    [Fact]
    public async Task A_teams_week_counts_its_members_live_hours_only()
    {
        await using var p = await Parts.CreateAsync();
        var h = p.H;
        await p.SignInAsync(TestActors.Ana, PaymentsGroup);
        await p.SignInAsync(TestActors.Ben, PaymentsGroup);
        Assert.Equal(BookingOutcome.Booked, (await h.BookAsync(1, h.At(10), ThreeHours)).Outcome);
        Assert.Equal(BookingOutcome.Booked, (await h.BookAsync(2, h.At(14), TimeSpan.FromHours(2), TestActors.Ben)).Outcome);
        var cancelled = await h.BookAsync(3, h.At(14), TimeSpan.FromHours(1), TestActors.Ben);
        Assert.True((await h.Service.CancelAsync(cancelled.Reservation!.Id, TestActors.Ben)).Succeeded);
        Assert.Equal(BookingOutcome.Booked, (await h.BookAsync(4, h.At(10), ThreeHours, TestActors.Admin)).Outcome);

        var week = await p.Teams.WeekOfAsync(TestActors.Ana.Id);

        Assert.Equal("Your team payments has used 5 of 8 hours this week; it may hold 3 environments at once.", week?.Sentence);
        Assert.Null(await p.Teams.WeekOfAsync(TestActors.Admin.Id));
    }
}

/// <summary>The admin page's people table and My reservations' team line, rendered with bUnit.</summary>
public sealed class FairUseComponentTests : ComponentTestBase
{
    public FairUseComponentTests()
    {
        Options.Teams = [new TeamOptions { Name = "payments", WeeklyHours = 60, MaxConcurrent = 3 }];
        Services.AddSingleton<PeopleService>();
        Services.AddSingleton<FairUseAdmin>();
        Services.AddSingleton<LeaseBoard.Features.Tokens.ApiTokenService>();
    }

    private async Task SignInRecordedAsync(params Actor[] people)
    {
        foreach (var person in people) await Services.GetRequiredService<PeopleService>().RecordSignInAsync(person);
    }

    [Fact]
    public async Task An_admin_grants_an_exception_from_the_people_table_with_a_reason_and_an_end()
    {
        SignInAs(TestActors.Admin);
        Auth.SetClaims(new System.Security.Claims.Claim(System.Security.Claims.ClaimTypes.NameIdentifier, TestActors.Admin.Id));
        await SignInRecordedAsync(TestActors.Ana, TestActors.Admin);
        Render<MudPopoverProvider>();
        var dialogs = Render<MudDialogProvider>();
        var table = Render<AdminPeopleTable>();
        table.WaitForElement($"[data-person='{TestActors.Ana.Id}'] [data-testid=person-grant]");

        var click = table.Find($"[data-person='{TestActors.Ana.Id}'] [data-testid=person-grant]").ClickAsync(new MouseEventArgs());
        dialogs.WaitForElement("[data-testid=fairuse-reason]");
        Assert.True(dialogs.Find("[data-testid=fairuse-confirm]").HasAttribute("disabled"));
        dialogs.Find("textarea[data-testid=fairuse-reason]").Input("Release soak");
        dialogs.WaitForAssertion(() => Assert.False(dialogs.Find("[data-testid=fairuse-confirm]").HasAttribute("disabled")));
        await dialogs.Find("[data-testid=fairuse-confirm]").ClickAsync(new MouseEventArgs());
        await click;

        table.WaitForAssertion(() => Assert.Contains("Release soak", table.Find($"[data-person='{TestActors.Ana.Id}'] [data-testid=admin-person-exception]").TextContent));
        Assert.Equal("Done", table.Find($"[data-person='{TestActors.Ana.Id}'] [data-testid=admin-person-outcome]").GetAttribute("data-outcome"));
        Assert.NotNull(table.Find($"[data-person='{TestActors.Ana.Id}'] [data-testid=person-revoke]"));
        await using var db = Database.CreateDbContext();
        var granted = await db.LimitExceptions.SingleAsync();
        // The dialog's default end: a week ahead, 18:00 in the viewer's zone (UTC here).
        Assert.Equal((TestActors.Ana.Id, "Release soak", At(18, daysAhead: 7)), (granted.UserId, granted.Reason, granted.EndsUtc));
    }

    [Fact]
    public async Task My_reservations_shows_how_much_of_the_teams_week_is_used()
    {
        await SignInRecordedAsync(TestActors.Ana, TestActors.Ben);
        await using (var db = Database.CreateDbContext())
        {
            await db.People.Where(p => p.Id == TestActors.Ana.Id || p.Id == TestActors.Ben.Id).ExecuteUpdateAsync(s => s.SetProperty(p => p.Team, "payments"));
        }
        await new ReservationBuilder(Env(1).Id, At(10), At(13)).OwnedBy(TestActors.Ben).SaveAsync(Database);

        var page = Render<MyReservationsPage>();

        page.WaitForAssertion(() => Assert.Equal("Your team payments has used 3 of 60 hours this week; it may hold 3 environments at once.",
            page.Find("[data-testid=team-week] p").TextContent.Trim()));
    }

    [Fact]
    public void My_reservations_without_a_team_shows_no_team_line()
    {
        var page = Render<MyReservationsPage>();
        page.WaitForElement("[data-testid=mine-empty]");
        Assert.Empty(page.FindAll("[data-testid=team-week]"));
    }
}
