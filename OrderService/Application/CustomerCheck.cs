using System.Net;
using Onboarding.Contracts.Http;

namespace Onboarding.OrderService.Application;

/// <summary>What UserService said about an order's user.</summary>
internal enum CustomerCheck
{
    /// <summary>The user exists: the order is accepted as verified.</summary>
    Exists,

    /// <summary>No such user: the order is refused (422).</summary>
    Unknown,

    /// <summary>
    /// UserService could not answer: the order is accepted unverified, and the processing chain's first step asks again
    /// (failing the order with reason <see cref="OrderFailureReasons.UnknownUser"/> if the user does not exist).
    /// </summary>
    Unreachable,
}

internal static class CustomerChecks
{
    /// <summary>
    /// 2xx: exists. 404 (no such user) and 400 (an id that cannot name a user): unknown. Anything else (5xx, 429, an
    /// unexpected status) says nothing about the user, only that the service could not answer.
    /// </summary>
    public static CustomerCheck FromStatus(HttpStatusCode status) => status switch
    {
        >= HttpStatusCode.OK and < HttpStatusCode.Ambiguous => CustomerCheck.Exists,
        HttpStatusCode.NotFound or HttpStatusCode.BadRequest => CustomerCheck.Unknown,
        _ => CustomerCheck.Unreachable,
    };
}
