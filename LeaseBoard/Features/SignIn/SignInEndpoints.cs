using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;

namespace LeaseBoard.Features.SignIn;

public static class SignInEndpoints
{
    /// <summary>Sign-out for everyone, and the Entra ID challenge when Entra ID is configured (the local sign-in is a page).</summary>
    public static IEndpointRouteBuilder MapSignInEndpoints(this IEndpointRouteBuilder endpoints, bool usesEntraId)
    {
        endpoints.MapPost("/signout", async (HttpContext http, IAntiforgery antiforgery) =>
        {
            // Minimal APIs check antiforgery only when they bind a form; this one binds none, so check the token itself.
            if (!await antiforgery.IsRequestValidAsync(http))
                return Results.BadRequest();
            await http.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            if (usesEntraId)
                return Results.SignOut(new AuthenticationProperties { RedirectUri = "/" }, [OpenIdConnectDefaults.AuthenticationScheme]);
            return Results.LocalRedirect("/");
        }).RequireAuthorization();
        if (usesEntraId)
            endpoints.MapGet("/signin/entra", (string? returnUrl) => Results.Challenge(
                new AuthenticationProperties { RedirectUri = SignInAddresses.SafeReturnUrl(returnUrl) }, [OpenIdConnectDefaults.AuthenticationScheme]));
        return endpoints;
    }
}
