using System.Net;
using System.Net.Http.Json;
using LeaseBoard.Data;
using LeaseBoard.Domain;
using LeaseBoard.Features.SignIn;
using LeaseBoard.Features.Tokens;
using LeaseBoard.Tests.Features.Api;
using LeaseBoard.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace LeaseBoard.Tests.Features.Tokens;

/// <summary>Admin rights through the API come from an explicit admin token, and only while its owner is still an admin.</summary>
public sealed class AdminTokenTests(ApiTestHost host) : IClassFixture<ApiTestHost>
{
    private ApiTokenService Tokens => host.Factory.Services.GetRequiredService<ApiTokenService>();
    private PeopleService People => host.Factory.Services.GetRequiredService<PeopleService>();

    [Fact]
    public async Task A_book_token_made_by_an_admin_is_refused_the_admin_operations_and_nothing_changes()
    {
        var ada = new Actor("local:ada book", "Ada Book", IsAdmin: true);
        await People.RecordSignInAsync(ada);
        using var client = host.Client(await host.TokenAsync(ada, ApiScope.Book));

        using var refused = await client.PostAsJsonAsync("/api/v1/admin/environments/env-4/actions", new { action = "quarantine", reason = "Only booking was asked for" });

        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal(EnvironmentState.Available, (await EnvironmentAsync("env-4")).State);
    }

    [Fact]
    public async Task An_admin_token_loses_its_admin_rights_when_its_owner_signs_in_without_the_admin_role_but_still_books()
    {
        var cy = new Actor("local:cy demoted", "Cy Demoted", IsAdmin: true);
        using var client = host.Client(await host.AdminTokenAsync(cy));
        using (var allowed = await client.PostAsJsonAsync("/api/v1/admin/environments/env-5/actions", new { action = "quarantine", reason = "Fan noise" }))
            Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        using (var back = await client.PostAsJsonAsync("/api/v1/admin/environments/env-5/actions", new { action = "return", reason = "Fan fixed", evenIfUnhealthy = true }))
            Assert.Equal(HttpStatusCode.OK, back.StatusCode);

        await People.RecordSignInAsync(cy with { IsAdmin = false }); // the role was taken away; the next sign-in records it

        using var refused = await client.PostAsJsonAsync("/api/v1/admin/environments/env-5/actions", new { action = "quarantine", reason = "Still an admin?" });
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.NotEqual(EnvironmentState.Quarantined, (await EnvironmentAsync("env-5")).State);
        using var booked = await client.PostAsJsonAsync("/api/v1/reservations",
            new { environment = "env-5", start = ApiTestHost.At(4, 9), durationMinutes = 60, title = "Demoted but booking" });
        Assert.Equal(HttpStatusCode.Created, booked.StatusCode);
    }

    [Fact]
    public async Task Only_an_admin_may_make_an_admin_token()
    {
        var (refused, error) = await Tokens.CreateAsync(TestActors.Ben, "sneaky", ApiScope.Admin, 30);
        var (made, _) = await Tokens.CreateAsync(TestActors.Admin, "ops", ApiScope.Admin, 30);

        Assert.Null(refused);
        Assert.Contains("Only admins", error);
        Assert.Equal(ApiScope.Admin, made?.Row.Scope);
    }

    [Fact]
    public async Task An_admin_lists_and_revokes_anyones_token_and_the_revoked_token_is_refused_but_others_cannot()
    {
        var ben = new Actor("local:ben revoked", "Ben Revoked", IsAdmin: false);
        var (bens, _) = await Tokens.CreateAsync(ben, "bens pipeline", ApiScope.Book, 30);
        var eve = new Actor("local:eve", "Eve", IsAdmin: false);

        Assert.Empty(await Tokens.ListAllAsync(eve));
        Assert.False(await Tokens.RevokeAsync(eve, bens!.Row.Id));
        using (var stillWorks = await host.Client(bens.Token).GetAsync("/api/v1/environments"))
            Assert.Equal(HttpStatusCode.OK, stillWorks.StatusCode);

        var listed = Assert.Single(await Tokens.ListAllAsync(TestActors.Admin), t => t.Id == bens.Row.Id);
        Assert.Equal(("Ben Revoked", "bens pipeline"), (listed.OwnerName, listed.Name));
        Assert.True(await Tokens.RevokeAsync(TestActors.Admin, bens.Row.Id));

        using var refused = await host.Client(bens.Token).GetAsync("/api/v1/environments");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        await using var db = await Dbs().CreateDbContextAsync();
        Assert.Contains(await db.AuditEntries.Where(a => a.Action == AuditActions.TokenRevoked).Select(a => a.Details).ToListAsync(),
            d => d.Contains("bens pipeline") && d.Contains("of Ben Revoked"));
    }

    private IDbContextFactory<LeaseBoardDb> Dbs() => host.Factory.Services.GetRequiredService<IDbContextFactory<LeaseBoardDb>>();

    private async Task<TestEnvironment> EnvironmentAsync(string key)
    {
        await using var db = await Dbs().CreateDbContextAsync();
        return await db.Environments.AsNoTracking().SingleAsync(e => e.Key == key);
    }
}
