namespace LeaseBoard.Features.SignIn;

public static class SignInAddresses
{
    public const string LocalSignInPath = "/signin";
    /// <summary>Where a signed-in user is sent when a page is not for them (a non-admin opening an admin page).</summary>
    public const string DeniedPath = "/denied";

    /// <summary>Only local paths are followed after sign-in, so the sign-in page cannot be used to redirect elsewhere.</summary>
    public static string SafeReturnUrl(string? returnUrl) =>
        !string.IsNullOrEmpty(returnUrl) && returnUrl.StartsWith('/') && !returnUrl.StartsWith("//") && !returnUrl.StartsWith("/\\")
            ? returnUrl : "/";
}
