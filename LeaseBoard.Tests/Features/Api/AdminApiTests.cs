using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LeaseBoard.Data;
using LeaseBoard.Domain;
using LeaseBoard.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace LeaseBoard.Tests.Features.Api;

public sealed class AdminApiTests(ApiTestHost host) : IClassFixture<ApiTestHost>
{
    [Fact]
    public async Task An_admins_token_quarantines_and_returns_an_environment_with_the_reason_audited()
    {
        using var admin = host.Client(await host.AdminTokenAsync(TestActors.Admin));

        using var quarantined = await admin.PostAsJsonAsync("/api/v1/admin/environments/env-3/actions", new { action = "quarantine", reason = "Disk errors in dmesg" });

        Assert.Equal(HttpStatusCode.OK, quarantined.StatusCode);
        var environment = await EnvironmentAsync("env-3");
        Assert.Equal((EnvironmentState.Quarantined, "Disk errors in dmesg"), (environment.State, environment.QuarantineReason));
        await using (var db = await Dbs().CreateDbContextAsync())
            Assert.Contains(await db.AuditEntries.Where(a => a.EnvironmentId == environment.Id).ToListAsync(), a => a.Details.Contains("Disk errors in dmesg"));

        using var returned = await admin.PostAsJsonAsync("/api/v1/admin/environments/env-3/actions", new { action = "return", reason = "Disk replaced", evenIfUnhealthy = true });
        Assert.Equal(HttpStatusCode.OK, returned.StatusCode);
        Assert.NotEqual(EnvironmentState.Quarantined, (await EnvironmentAsync("env-3")).State);
    }

    [Fact]
    public async Task A_non_admins_token_is_refused_the_admin_operations_and_nothing_changes()
    {
        using var user = host.Client(await host.TokenAsync(TestActors.Ben));
        var before = await EnvironmentAsync("env-2");

        using var refused = await user.PostAsJsonAsync("/api/v1/admin/environments/env-2/actions", new { action = "quarantine", reason = "I want it for myself" });

        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        Assert.Equal(before.State, (await EnvironmentAsync("env-2")).State);
    }

    [Fact]
    public async Task An_admin_action_without_a_reason_or_with_an_unknown_action_is_refused_with_the_reason()
    {
        using var admin = host.Client(await host.AdminTokenAsync(TestActors.Admin));

        using var noReason = await admin.PostAsJsonAsync("/api/v1/admin/environments/env-1/actions", new { action = "quarantine", reason = "" });
        using var unknown = await admin.PostAsJsonAsync("/api/v1/admin/environments/env-1/actions", new { action = "delete-everything", reason = "x" });

        Assert.Equal(HttpStatusCode.UnprocessableEntity, noReason.StatusCode);
        Assert.Contains("reason", (await noReason.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString(), StringComparison.OrdinalIgnoreCase);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, unknown.StatusCode);
        Assert.Equal(EnvironmentState.Available, (await EnvironmentAsync("env-1")).State);
    }

    private IDbContextFactory<LeaseBoardDb> Dbs() => host.Factory.Services.GetRequiredService<IDbContextFactory<LeaseBoardDb>>();

    private async Task<TestEnvironment> EnvironmentAsync(string key)
    {
        await using var db = await Dbs().CreateDbContextAsync();
        return await db.Environments.AsNoTracking().SingleAsync(e => e.Key == key);
    }
}
