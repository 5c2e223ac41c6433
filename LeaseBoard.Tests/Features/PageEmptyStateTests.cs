using Bunit;
using LeaseBoard.Domain;
using LeaseBoard.Features.Api;
using LeaseBoard.Features.Tokens;
using LeaseBoard.Features.Framework;
using LeaseBoard.Features.Leases;
using LeaseBoard.Features.Wall;
using LeaseBoard.Setup;
using LeaseBoard.Tests.Browser;
using LeaseBoard.Tests.TestSupport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace LeaseBoard.Tests.Features;

/// <summary>
/// Every routable page on a fresh database (five environments, no reservations, no tokens, no audit
/// entries) shows its empty state in words, not an error, a spinner or a blank.
/// </summary>
public sealed class PageEmptyStateTests : ComponentTestBase
{
    /// <summary>Per route: the element that holds the empty state, and what it says.</summary>
    private static readonly Dictionary<string, (string Selector, string Text, bool Admin)> EmptyStates = new()
    {
        ["/"] = ("[data-testid=calendar-none]", "Nothing is booked in this period: every lane is free.", false),
        ["/book"] = ("[data-testid=upcoming-free]", "Free for the next 3 days.", false),
        ["/reservations/mine"] = ("[data-testid=mine-empty]", "You have no reservations yet.", false),
        ["/tokens"] = ("[data-testid=tokens-empty]", "You have no tokens yet.", false),
        ["/settings/notifications"] = ("[data-testid=webhooks-empty]", "You have no webhooks yet: your notifications stay under the bell.", false),
        ["/wall"] = ("[data-testid=wall-summary]", "5 free · 0 running", false),
        ["/reliability"] = ("[data-testid=reliability-empty]", "No test ran in the last 7 days: nothing to chart yet.", false),
        ["/admin"] = ("[data-testid=audit-empty]", "No audit entries yet.", true),
    };

    /// <summary>Pages that show no data, so have no empty state (the browser smoke test checks what they say).</summary>
    private static readonly HashSet<string> WithoutData = ["/signin", "/denied", "/not-found", "/Error"];

    public PageEmptyStateTests()
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
        Services.AddSingleton<ApiTokenService>();
        Services.AddSingleton<Microsoft.AspNetCore.DataProtection.IDataProtectionProvider>(new Microsoft.AspNetCore.DataProtection.EphemeralDataProtectionProvider());
        Services.AddWebhookServices();
        Services.AddSingleton<IOptionsMonitor<WallOptions>>(new StaticOptionsMonitor<WallOptions>(new WallOptions()));
        Services.AddSingleton<WallQueries>();
        Services.AddSingleton<WallFeed>();
    }

    public static TheoryData<string> PagesWithData() => [.. EmptyStates.Keys];

    [Theory]
    [MemberData(nameof(PagesWithData))]
    public void A_page_on_a_fresh_database_shows_its_empty_state(string route)
    {
        var (selector, text, admin) = EmptyStates[route];
        if (admin)
        {
            SignInAs(TestActors.Admin);
            // Roles set after the claims rebuild the test principal without them: set the id again.
            Auth.SetClaims(new System.Security.Claims.Claim(System.Security.Claims.ClaimTypes.NameIdentifier, TestActors.Admin.Id));
        }
        var component = AppPages.All.Single(p => p.SamplePath == route).Component;

        var page = Render(builder =>
        {
            builder.OpenComponent(0, component);
            builder.CloseComponent();
        });

        var empty = page.WaitForElement(selector);
        Assert.Contains(text, empty.TextContent);
        Assert.Empty(page.FindAll(".mud-progress-linear, .mud-skeleton, [data-testid=reservation-row]"));
        Assert.Empty(page.FindAll(".mud-alert-text-error, .mud-alert-filled-error, .mud-alert-outlined-error"));
    }

    [Fact]
    public void Every_routable_page_has_an_empty_state_here_or_shows_no_data()
    {
        var routes = AppPages.All.Select(p => p.SamplePath).ToHashSet();

        Assert.Empty(routes.Except(EmptyStates.Keys).Except(WithoutData)); // a new page: say here what it shows when there is nothing yet
        Assert.Empty(EmptyStates.Keys.Concat(WithoutData).Except(routes));
    }
}
