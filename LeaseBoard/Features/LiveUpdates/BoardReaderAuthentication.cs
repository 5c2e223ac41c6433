using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.Extensions.Options;

namespace LeaseBoard.Features.LiveUpdates;

/// <summary>
/// Who may read the board over the hub: a signed-in user (the app's cookie) or a holder of the kiosk
/// key (<c>?key=</c> or <c>?access_token=</c>, since browsers cannot put headers on WebSockets).
/// Refusals are plain 401s — no redirect to a sign-in page a script cannot follow.
/// </summary>
public sealed class BoardReaderAuthentication(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder,
    IKioskKeyCheck kiosk) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "BoardReader";
    public const string Policy = "BoardReader";
    public const string KioskRole = "LeaseBoard.WallKiosk";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var key = Request.Query["key"].FirstOrDefault() ?? Request.Query["access_token"].FirstOrDefault();
        if (key is not null)
        {
            if (!kiosk.IsKioskKey(key)) return AuthenticateResult.Fail("The kiosk key is not valid.");
            var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, "Wall kiosk"), new Claim(ClaimTypes.Role, KioskRole)], SchemeName);
            return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
        }
        // No key: the signed-in user's cookie (the same cookie scheme name with local sign-in and with Entra ID).
        var cookie = await Context.AuthenticateAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        return cookie.Succeeded ? AuthenticateResult.Success(new AuthenticationTicket(cookie.Principal!, SchemeName)) : AuthenticateResult.NoResult();
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties) => Refuse(StatusCodes.Status401Unauthorized);

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) => Refuse(StatusCodes.Status403Forbidden);

    /// <summary>A bare status for scripts: the app's status-code pages would re-run the request as a page.</summary>
    private Task Refuse(int status)
    {
        if (Context.Features.Get<IStatusCodePagesFeature>() is { } pages) pages.Enabled = false;
        Response.StatusCode = status;
        return Task.CompletedTask;
    }
}

/// <summary>Whether a key opens the board read-only (the wall's kiosk key); the wall answers it from its own settings.</summary>
public interface IKioskKeyCheck
{
    bool IsKioskKey(string key);
}
