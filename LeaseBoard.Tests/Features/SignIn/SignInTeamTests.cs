using System.Security.Claims;
using LeaseBoard.Data;
using LeaseBoard.Features.SignIn;
using LeaseBoard.Tests.TestSupport;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace LeaseBoard.Tests.Features.SignIn;

/// <summary>The app's own sign-in wiring reads the <c>groups</c> claim and records the team it maps to.</summary>
public sealed class SignInTeamTests
{
    [Fact]
    public async Task Signing_in_with_a_configured_Entra_group_records_the_persons_team()
    {
        await using var app = new LeaseBoardAppFactory(settings: new Dictionary<string, string?>
        {
            ["LeaseBoard:Booking:Teams:0:Name"] = "payments",
            ["LeaseBoard:Booking:Teams:0:EntraGroup"] = "group-payments",
            ["LeaseBoard:Booking:Teams:1:Name"] = "search",
            ["LeaseBoard:Booking:Teams:1:EntraGroup"] = "group-search",
        });
        _ = app.Server; // starts the host: migrations, options
        var options = app.Services.GetRequiredService<IOptionsMonitor<CookieAuthenticationOptions>>().Get(CookieAuthenticationDefaults.AuthenticationScheme);
        var principal = Principals.LocalPrincipal("Dana", admin: false);
        ((ClaimsIdentity)principal.Identity!).AddClaims([new Claim(Principals.GroupClaim, "unrelated"), new Claim(Principals.GroupClaim, "group-search")]);
        await using var scope = app.Services.CreateAsyncScope();
        var http = new DefaultHttpContext { RequestServices = scope.ServiceProvider };
        var scheme = new AuthenticationScheme(CookieAuthenticationDefaults.AuthenticationScheme, null, typeof(CookieAuthenticationHandler));

        await options.Events.OnSigningIn(new CookieSigningInContext(http, scheme, options, principal, new AuthenticationProperties(), new CookieOptions()));

        await using var db = await app.Services.GetRequiredService<IDbContextFactory<LeaseBoardDb>>().CreateDbContextAsync();
        var person = await db.People.SingleAsync(p => p.Id == "local:dana");
        Assert.Equal(("Dana", "search"), (person.DisplayName, person.Team));
    }
}
