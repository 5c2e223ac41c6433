using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Mvc.Routing;

namespace LeaseBoard.Features.SignIn;

public static class SignInAddresses
{
    public const string LocalSignInPath = "/signin";
    /// <summary>Where a signed-in user is sent when a page is not for them (a non-admin opening an admin page).</summary>
    public const string DeniedPath = "/denied";

    // The framework's own local-URL rule (the one LocalRedirect uses): a path that starts with one '/', and no
    // '//', '/\' or control character (browsers drop a tab or newline, so "/\t/x" would become "//x").
    // IsLocalUrl reads only the string; the empty action context is never touched.
    private static readonly IUrlHelper Framework = new UrlHelper(new ActionContext(
        new Microsoft.AspNetCore.Http.DefaultHttpContext(), new Microsoft.AspNetCore.Routing.RouteData(), new ActionDescriptor()));

    /// <summary>
    /// Only local paths are followed after sign-in, so the sign-in page cannot be used to redirect elsewhere.
    /// The address must pass the framework's local-URL check as given and after percent-decoding (a proxy or
    /// a second hop may decode "/%09/x" or "/%5Cx" once more); "~/" paths are not needed here and refused.
    /// </summary>
    public static string SafeReturnUrl(string? returnUrl) => IsLocalPath(returnUrl) ? returnUrl! : "/";

    private static bool IsLocalPath(string? url)
    {
        if (string.IsNullOrEmpty(url) || url[0] != '/' || url.Length > 2048) return false;
        for (var round = 0; round < 4; round++)
        {
            if (!Framework.IsLocalUrl(url) || url.Contains('\\')) return false;
            var decoded = Uri.UnescapeDataString(url);
            if (decoded == url) return true;
            url = decoded;
        }
        return false; // still encoded after four rounds: nobody writes a real return address like that
    }
}
