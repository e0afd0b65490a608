using Onboarding.Contracts.Http;

namespace Onboarding.NotificationService.Application;

/// <summary>Email categories; preferences switch each off, except security, which is always sent.</summary>
internal static class NotificationCategories
{
    public const string General = "general";
    public const string Account = "account";
    public const string Security = "security";
    public const string Orders = "orders";
    public const string Marketing = "marketing";

    public static readonly IReadOnlySet<string> All = new HashSet<string>(StringComparer.Ordinal) { General, Account, Security, Orders, Marketing };

    public static readonly NotificationPreferencesDto Defaults = new(EmailEnabled: true, OrderUpdates: true, SecurityAlerts: true, Marketing: false);

    /// <summary>Whether a user with <paramref name="preferences"/> gets an email of <paramref name="category"/>.</summary>
    public static bool Allows(NotificationPreferencesDto preferences, string category) => category switch
    {
        Security => true,
        _ when !preferences.EmailEnabled => false,
        Orders => preferences.OrderUpdates,
        Marketing => preferences.Marketing,
        _ => true,
    };
}
