namespace Onboarding.ServiceDefaults.HttpApi;

/// <summary>
/// The ids of the services' resources (users, orders, notifications, tasks) are GUIDs. A value that is not one names
/// nothing that could exist: it is malformed (400), not unknown (404).
/// </summary>
public static class ResourceIds
{
    /// <summary>The longest text form of a GUID (with braces).</summary>
    public const int MaxLength = 38;

    public static bool IsWellFormed(string? value) => value is { Length: <= MaxLength } && Guid.TryParse(value, out _);

    /// <summary>The validation message for an id field or route value.</summary>
    public static string Message(string field) => $"The {field} must be a GUID such as 0190a6d2-5b1e-7c3a-9f0e-2d4b6a8c1e3f.";

    /// <summary>Route values and body fields that hold ids: <c>id</c> and names ending in <c>Id</c>.</summary>
    public static bool IsIdName(string name) =>
        name.Equals("id", StringComparison.OrdinalIgnoreCase) || name.EndsWith("Id", StringComparison.Ordinal);
}
