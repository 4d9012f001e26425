using Strata.Core.Errors;
using Strata.Server.Wire;

namespace Strata.Server.Tests.Wire;

public sealed class WireErrorsTests
{
    [Theory]
    [InlineData(ErrorCode.INVALID_PARAMETER_VALUE, 400)]
    [InlineData(ErrorCode.BAD_REQUEST, 400)]
    [InlineData(ErrorCode.RESOURCE_ALREADY_EXISTS, 400)]
    [InlineData(ErrorCode.UNAUTHENTICATED, 401)]
    [InlineData(ErrorCode.PERMISSION_DENIED, 403)]
    [InlineData(ErrorCode.RESOURCE_DOES_NOT_EXIST, 404)]
    [InlineData(ErrorCode.ENDPOINT_NOT_FOUND, 404)]
    [InlineData(ErrorCode.RESOURCE_CONFLICT, 409)]
    [InlineData(ErrorCode.REQUEST_LIMIT_EXCEEDED, 429)]
    [InlineData(ErrorCode.CANCELLED, 499)]
    [InlineData(ErrorCode.INTERNAL_ERROR, 500)]
    [InlineData(ErrorCode.INVALID_STATE, 500)]
    [InlineData(ErrorCode.NOT_IMPLEMENTED, 501)]
    [InlineData(ErrorCode.TEMPORARILY_UNAVAILABLE, 503)]
    [InlineData(ErrorCode.DEADLINE_EXCEEDED, 504)]
    public void Status_table_matches_mlflow(ErrorCode code, int status) => Assert.Equal(status, WireErrors.StatusFor(code));
}
