using LeaseBoard.Domain;
using LeaseBoard.Features.Admin;
using LeaseBoard.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace LeaseBoard.Tests.Browser;

/// <summary>An admin and an engineer in two browsers on the shared app.</summary>
[Collection(SharedAppCollection.Name)]
public sealed class AdminBrowserTests(SharedAppFixture app)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    [SkippableFact]
    public async Task Admin_quarantines_env_4_with_a_reason_another_user_sees_it_refused_for_booking_and_the_audit_log_shows_it()
    {
        await using var chromium = await Chromium.LaunchAsync();
        var reason = "Browser drill: fans failing " + Guid.NewGuid().ToString("N")[..6];
        try
        {
            var engineer = await SignedInPageAsync(chromium, "Ben Browser", admin: false, "/book");
            await engineer.GetByTestId("booking-form").WaitForAsync();

            var admin = await SignedInPageAsync(chromium, "Ada Admin", admin: true, "/admin");
            var row = admin.Locator("[data-testid=admin-env-row][data-env=env-4]");
            await row.Locator("button[data-action=quarantine]").ClickAsync();
            await Assertions.Expect(admin.GetByTestId("action-confirm")).ToBeDisabledAsync();
            await admin.GetByTestId("action-reason").FillAsync(reason);
            await admin.GetByTestId("action-confirm").ClickAsync();

            await Assertions.Expect(row).ToHaveAttributeAsync("data-state", "Quarantined");
            await Assertions.Expect(row.GetByTestId("admin-env-outcome")).ToHaveAttributeAsync("data-outcome", "Done");
            // The admin's own entry, newest first, with the reason (the system's entries of the quarantine follow it).
            var entry = admin.Locator($"[data-testid=audit-row][data-action='{AuditActions.AdminQuarantine}']").Filter(new() { HasText = reason });
            await Assertions.Expect(entry).ToHaveCountAsync(1);
            await Assertions.Expect(entry.GetByTestId("audit-who")).ToHaveTextAsync("Ada Admin"); // by name, the id on hover
            await Assertions.Expect(entry.GetByTestId("audit-who")).ToHaveAttributeAsync("title", "local:ada admin");

            // The engineer's page updates live: env-4 is quarantined, with the reason, and cannot be chosen for booking.
            var env4 = engineer.Locator("[data-testid=upcoming-environment][data-env=env-4]");
            await Assertions.Expect(env4).ToContainTextAsync("Quarantined: " + reason);
            await engineer.Locator(".mud-select").First.ClickAsync();
            var option = engineer.Locator(".mud-list-item").Filter(new() { HasText = "(quarantined)" });
            await Assertions.Expect(option).ToHaveCountAsync(1);
            await Assertions.Expect(option).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("mud-list-item-disabled"));
        }
        finally
        {
            // The shared host serves other tests: put env-4 back.
            var service = app.Services.GetRequiredService<AdminService>();
            var environments = await app.Services.GetRequiredService<LeaseBoard.Features.Booking.ReservationQueries>().EnvironmentsAsync();
            var env4 = environments.Single(e => e.Key == "env-4");
            if (env4.State == EnvironmentState.Quarantined)
                await service.ReturnToServiceAsync(new Actor("local:test", "Test teardown", IsAdmin: true), env4.Id, "browser test teardown", evenIfUnhealthy: true);
        }
    }

    [SkippableFact]
    public async Task Admin_grants_and_revokes_an_engineers_exception_from_the_limits_on_the_people_table()
    {
        await using var chromium = await Chromium.LaunchAsync();
        var engineerName = "Fay Fairuse " + Guid.NewGuid().ToString("N")[..6];
        await SignedInPageAsync(chromium, engineerName, admin: false, "/reservations/mine");
        var admin = await SignedInPageAsync(chromium, "Ada Admin", admin: true, "/admin");
        var row = admin.Locator($"[data-testid=admin-person-row][data-person='local:{engineerName.ToLowerInvariant()}']");

        await row.GetByTestId("person-grant").ClickAsync();
        await Assertions.Expect(admin.GetByTestId("fairuse-confirm")).ToBeDisabledAsync();
        await admin.GetByTestId("fairuse-reason").FillAsync("Release-candidate soak on three environments");
        await admin.GetByTestId("fairuse-confirm").ClickAsync();

        await Assertions.Expect(row.GetByTestId("admin-person-outcome")).ToHaveAttributeAsync("data-outcome", "Done");
        await Assertions.Expect(row.GetByTestId("admin-person-exception")).ToContainTextAsync("Release-candidate soak on three environments");
        await Assertions.Expect(admin.Locator($"[data-testid=audit-row][data-action='{AuditActions.LimitExceptionGranted}']").Filter(new() { HasText = engineerName })).ToHaveCountAsync(1);
        await row.ScrollIntoViewIfNeededAsync();
        await Screenshots.SaveAsync(admin, "admin-people.png");

        await row.GetByTestId("person-revoke").ClickAsync();
        await admin.GetByTestId("fairuse-reason").FillAsync("soak done");
        await admin.GetByTestId("fairuse-confirm").ClickAsync();
        await Assertions.Expect(row.GetByTestId("admin-person-exception")).ToHaveTextAsync("none");
        await Assertions.Expect(row.GetByTestId("person-grant")).ToBeVisibleAsync();
    }

    private async Task<IPage> SignedInPageAsync(Chromium chromium, string name, bool admin, string path)
    {
        var context = await chromium.Browser.NewContextAsync(new()
        {
            BaseURL = app.BaseAddress.ToString(), TimezoneId = "Europe/Berlin", Locale = "en-GB", ViewportSize = new() { Width = 1400, Height = 1000 },
        });
        context.SetDefaultTimeout((float)Timeout.TotalMilliseconds);
        var page = await context.NewPageAsync();
        await page.GotoAsync(path);
        await page.GetByTestId("signin-name").FillAsync(name);
        if (admin) await page.GetByTestId("signin-admin").CheckAsync();
        await page.GetByTestId("signin-submit").ClickAsync();
        await page.WaitForURLAsync("**" + path);
        return page;
    }
}
