using System.Net;

namespace Burrow.Probing.Stun;

/// <summary>
/// What a STUN server answers, as a pure function of the request, where it came from and which of the
/// server's endpoints received it. The I/O around it decides nothing.
/// </summary>
internal sealed class StunResponder(IPEndPoint[,] cells, string software)
{
    /// <summary>Whether the server has an alternate address and port (RFC 5780 support).</summary>
    public bool HasAlternate => cells.GetLength(0) == 2;

    public IPEndPoint Cell(int ip, int port) => cells[ip, port];

    /// <summary>
    /// The response to <paramref name="request"/> received on cell (<paramref name="ip"/>, <paramref name="port"/>)
    /// from <paramref name="client"/>, and the cell to send it from; <see langword="null"/> to stay silent.
    /// </summary>
    public (StunMessage Response, int FromIp, int FromPort)? Answer(StunMessage request, IPEndPoint client, int ip, int port, bool overTcp)
    {
        if (request.Class != StunClass.Request)
        {
            return null;  // indications and stray responses get no answer
        }
        var unknown = request.UnknownRequired.ToList();
        if (request.ChangeRequest != StunChange.None && !HasAlternate && !overTcp)
        {
            unknown.Add(StunAttribute.ChangeRequest);
        }
        if (request.Method != StunMessage.BindingMethod)
        {
            return (Error(request, 400, "Bad Request: only Binding is served"), ip, port);
        }
        if (unknown.Count > 0)
        {
            return (Error(request, 420, "Unknown Attribute") with { UnknownRequired = unknown }, ip, port);
        }
        // RFC 5780 §6.1: CHANGE-REQUEST moves the answer to the other IP and/or port (UDP only)
        var (fromIp, fromPort) = overTcp ? (ip, port)
            : (ip ^ ((request.ChangeRequest & StunChange.Ip) != 0 ? 1 : 0), port ^ ((request.ChangeRequest & StunChange.Port) != 0 ? 1 : 0));
        var response = new StunMessage(StunClass.SuccessResponse, StunMessage.BindingMethod, request.TransactionId)
        {
            XorMappedAddress = client,
            MappedAddress = client,
            ResponseOrigin = cells[fromIp, fromPort],
            OtherAddress = HasAlternate ? cells[1 - ip, 1 - port] : null,
            Software = software,
        };
        return (response, fromIp, fromPort);
    }

    private StunMessage Error(StunMessage request, int code, string reason) =>
        new(StunClass.ErrorResponse, request.Method, request.TransactionId) { Error = new StunError(code, reason), Software = software };
}
