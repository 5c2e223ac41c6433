namespace LeaseBoard.Features.SignIn;

public static class Roles
{
    /// <summary>The Entra ID app role (and local sign-in role) that makes an admin.</summary>
    public const string Admin = "LeaseBoard.Admin";
    public const string AdminPolicy = "Admin";
}
