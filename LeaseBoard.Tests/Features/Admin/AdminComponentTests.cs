using LeaseBoard.Features.Environments;
using Bunit;
using LeaseBoard.Components.Layout;
using LeaseBoard.Shell.Layout;
using LeaseBoard.Domain;
using LeaseBoard.Features.Admin;
using LeaseBoard.Features.Booking;
using LeaseBoard.Features.Framework;
using LeaseBoard.Features.Leases;
using LeaseBoard.Features.Notifications;
using LeaseBoard.Setup;
using LeaseBoard.Tests.TestSupport;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace LeaseBoard.Tests.Features.Admin;

/// <summary>The admin page's parts and the notification bell, rendered with bUnit on a real SQLite database.</summary>
public sealed class AdminComponentTests : ComponentTestBase
{
    public AdminComponentTests()
    {
        Services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["LeaseBoard:Framework:Simulated:BaseHealthLatencyMs"] = "0",
            ["LeaseBoard:Framework:Simulated:StatePath"] = Path.Combine(Path.GetTempPath(), "leaseboard-tests", Guid.NewGuid().ToString("N"), "simulated-framework.db"),
        }).Build());
        Services.AddLeaseEngine();
        Services.AddSingleton<ILeaseTriggers>(new ManualLeaseTriggers(Clock));
        Services.AddNotificationServices();
        Services.AddAdminServices();
        SignInAs(TestActors.Admin);
        // Roles set after the claims rebuild the test principal without them: set the id again.
        Auth.SetClaims(new System.Security.Claims.Claim(System.Security.Claims.ClaimTypes.NameIdentifier, TestActors.Admin.Id));
    }

    private async Task<Reservation> BookAsync(int environment, string title, int hour = 14)
    {
        var result = await Services.GetRequiredService<BookingService>().BookAsync(
            new BookingRequest(Env(environment).Id, At(hour), TimeSpan.FromHours(1), title, TestKind.Load, ""), TestActors.Ana);
        Assert.True(result.Succeeded, result.Message);
        return result.Reservation!;
    }

    [Fact]
    public async Task Admin_table_shows_a_row_per_environment_with_state_health_and_next_reservation()
    {
        await BookAsync(2, "Checkout soak");

        var table = Render<AdminEnvironmentsTable>();

        table.WaitForAssertion(() => Assert.Equal(5, table.FindAll("[data-testid=admin-env-row]").Count));
        var row = table.Find("[data-testid=admin-env-row][data-env=env-2]");
        Assert.Equal("Available", row.GetAttribute("data-state"));
        Assert.Contains("Checkout soak", row.QuerySelector("[data-testid=admin-env-next]")!.TextContent);
        foreach (var action in new[] { "force-release", "quarantine", "check-health", "cleanup", "maintenance" })
            Assert.NotNull(row.QuerySelector($"button[data-action={action}]"));
    }

    [Theory]
    [InlineData(EnvironmentState.Available)]
    [InlineData(EnvironmentState.Leased)]
    [InlineData(EnvironmentState.CleaningUp)]
    [InlineData(EnvironmentState.Quarantined)]
    public async Task A_state_has_one_colour_and_word_on_the_admin_page_and_in_the_lane_badges(EnvironmentState state)
    {
        await using (var db = Database.CreateDbContext())
            await db.Environments.Where(e => e.Id == Env(3).Id).ExecuteUpdateAsync(u => u.SetProperty(e => e.State, state));

        var table = Render<AdminEnvironmentsTable>();
        table.WaitForAssertion(() => Assert.NotNull(table.Find("[data-testid=admin-env-row][data-env=env-3] [data-testid=admin-env-state]")));
        var adminChip = table.Find("[data-testid=admin-env-row][data-env=env-3] [data-testid=admin-env-state]");
        var badge = Render<EnvironmentBadges>(p => p.Add(b => b.State, state).Add(b => b.Health, HealthStatus.Healthy)).Find("[data-testid=env-state]");

        static string ColourOf(AngleSharp.Dom.IElement chip) => chip.ClassList.Single(c => c.StartsWith("mud-chip-color-"));
        Assert.Equal((ColourOf(badge), badge.TextContent.Trim()), (ColourOf(adminChip), adminChip.TextContent.Trim()));
        if (state == EnvironmentState.Quarantined) Assert.Equal("mud-chip-color-info", ColourOf(adminChip)); // the wall's quarantine blue
    }

    [Fact]
    public async Task Admin_table_renders_a_script_title_as_text()
    {
        await BookAsync(1, "<script>alert('x')</script>");

        var table = Render<AdminEnvironmentsTable>();

        table.WaitForAssertion(() => Assert.Contains("<script>alert('x')</script>", table.Find("[data-env=env-1] [data-testid=admin-env-next]").TextContent));
        Assert.Empty(table.FindAll("script"));
        Assert.Contains("&lt;script&gt;", table.Markup);
    }

    [Fact]
    public async Task Admin_quarantine_dialog_requires_a_reason_then_quarantines_and_shows_the_outcome_in_place()
    {
        Render<MudPopoverProvider>();
        var dialogs = Render<MudDialogProvider>();
        var table = Render<AdminEnvironmentsTable>();
        table.WaitForElement("[data-env=env-4] button[data-action=quarantine]");

        var click = table.Find("[data-env=env-4] button[data-action=quarantine]").ClickAsync(new MouseEventArgs());
        dialogs.WaitForElement("[data-testid=action-reason]");
        Assert.True(dialogs.Find("[data-testid=action-confirm]").HasAttribute("disabled"));
        dialogs.Find("textarea[data-testid=action-reason]").Input("Fans failing");
        dialogs.WaitForAssertion(() => Assert.False(dialogs.Find("[data-testid=action-confirm]").HasAttribute("disabled")));
        await dialogs.Find("[data-testid=action-confirm]").ClickAsync(new MouseEventArgs());
        await click;

        table.WaitForAssertion(() => Assert.Equal("Quarantined", table.Find("[data-testid=admin-env-row][data-env=env-4]").GetAttribute("data-state")));
        Assert.Equal("Done", table.Find("[data-env=env-4] [data-testid=admin-env-outcome]").GetAttribute("data-outcome"));
        Assert.Contains("Fans failing", table.Find("[data-env=env-4] [data-testid=admin-env-quarantine]").TextContent);
        await using var db = Database.CreateDbContext();
        Assert.True(await db.AuditEntries.AnyAsync(a => a.Action == AuditActions.AdminQuarantine && a.Details.Contains("Fans failing")));
    }

    [Fact]
    public async Task Admin_dialog_cancelled_changes_nothing()
    {
        Render<MudPopoverProvider>();
        var dialogs = Render<MudDialogProvider>();
        var table = Render<AdminEnvironmentsTable>();
        table.WaitForElement("[data-env=env-3] button[data-action=cleanup]");

        var click = table.Find("[data-env=env-3] button[data-action=cleanup]").ClickAsync(new MouseEventArgs());
        dialogs.WaitForElement("[data-testid=action-cancel]");
        await dialogs.Find("[data-testid=action-cancel]").ClickAsync(new MouseEventArgs());
        await click;

        Assert.Empty(table.FindAll("[data-testid=admin-env-outcome]"));
        await using var db = Database.CreateDbContext();
        Assert.Equal(0, await db.AuditEntries.CountAsync(a => a.Action.StartsWith("admin.")));
    }

    [Fact]
    public async Task Admin_audit_log_filters_by_user_and_shows_newest_first()
    {
        await using (var db = Database.CreateDbContext())
        {
            db.AuditEntries.Add(new AuditEntry { AtUtc = Now.AddMinutes(-2), Actor = "local:ada", Action = AuditActions.AdminQuarantine, EnvironmentId = Env(1).Id, Details = "older by ada" });
            db.AuditEntries.Add(new AuditEntry { AtUtc = Now.AddMinutes(-1), Actor = "system", Action = AuditActions.LeaseStarted, EnvironmentId = Env(2).Id, Details = "by the system" });
            db.AuditEntries.Add(new AuditEntry { AtUtc = Now, Actor = "local:ada", Action = AuditActions.AdminReturn, EnvironmentId = Env(1).Id, Details = "newest by ada" });
            db.People.Add(new Person { Id = "local:ada", DisplayName = "Ada Lovelace", IsAdmin = true, LastSignInUtc = Now });
            await db.SaveChangesAsync();
        }

        var log = Render<AuditLog>();

        log.WaitForAssertion(() => Assert.Equal(3, log.FindAll("[data-testid=audit-row]").Count));
        Assert.Contains("newest by ada", log.FindAll("[data-testid=audit-row]")[0].TextContent);
        // One name for an environment (its display name, the key on hover), and times labelled with their zone.
        var where = log.FindAll("[data-testid=audit-row] td")[3];
        Assert.Equal(("Env 1", "env-1"), (where.TextContent, where.GetAttribute("title")));
        Assert.Matches(@"^When \(.+\)$", log.Find("[data-testid=audit-when-header]").TextContent);
        // People by the name they signed in with (the id on hover); LeaseBoard's own entries by its name.
        var who = log.FindAll("[data-testid=audit-who]");
        Assert.Equal([("Ada Lovelace", "local:ada"), ("LeaseBoard", "system"), ("Ada Lovelace", "local:ada")],
            who.Select(w => (w.TextContent, w.GetAttribute("title"))).ToList());
        log.Find("input[data-testid=audit-user]").Input("Lovelace"); // as one types; a name finds them as well as an id
        log.WaitForAssertion(() => Assert.Equal(2, log.FindAll("[data-testid=audit-row]").Count));
        Assert.DoesNotContain(log.FindAll("[data-testid=audit-row]"), r => r.TextContent.Contains("by the system"));
        Assert.Contains("user=Lovelace", log.Find("[data-testid=audit-csv]").GetAttribute("href"));
    }

    [Fact]
    public void Audit_log_times_and_their_zone_label_follow_the_viewers_zone_once_it_is_known()
    {
        var log = Render<AuditLog>();
        log.WaitForAssertion(() => Assert.NotNull(log.Find("[data-testid=audit-empty]")));

        ViewerTime.Use(TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin"));

        log.WaitForAssertion(() => Assert.Contains("From (Europe/Berlin)", log.Markup));
    }

    [Fact]
    public async Task Notification_bell_counts_unread_updates_live_lists_and_marks_read()
    {
        SignInAs(TestActors.Ana);
        var popover = Render<MudPopoverProvider>();
        var notifications = Services.GetRequiredService<NotificationService>();
        await notifications.NotifyAsync(TestActors.Ana.Id, NotificationKind.LeaseStarted, null, "'Soak' on Env 1 started.", CancellationToken.None);

        var bell = Render<NotificationBell>();
        bell.WaitForAssertion(() => Assert.Contains("1", bell.Find("[data-testid=notification-count]").TextContent));

        await notifications.NotifyAsync(TestActors.Ana.Id, NotificationKind.ForceReleased, null, "'Soak' force-released.", CancellationToken.None);
        await notifications.NotifyAsync(TestActors.Ben.Id, NotificationKind.Moved, null, "not Ana's", CancellationToken.None);
        bell.WaitForAssertion(() => Assert.Contains("2", bell.Find("[data-testid=notification-count]").TextContent));

        await bell.Find("button[data-testid=notification-bell]").ClickAsync(new MouseEventArgs());
        popover.WaitForAssertion(() => Assert.Equal(2, popover.FindAll("[data-testid=notification-item]").Count));
        await popover.Find("[data-testid=notification-mark-read]").ClickAsync(new MouseEventArgs());
        Assert.Equal(0, await notifications.UnreadCountAsync(TestActors.Ana.Id));
        Assert.Equal(1, await notifications.UnreadCountAsync(TestActors.Ben.Id));
    }
}
