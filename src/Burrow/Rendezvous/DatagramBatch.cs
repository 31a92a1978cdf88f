using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Burrow.Rendezvous;

/// <summary>
/// Takes every datagram queued on a socket, up to a batch, in one system call (Linux <c>recvmmsg</c>, which
/// .NET does not expose) instead of two per datagram (a size query and a read). Only where the call and its
/// 64-bit layout exist (<see cref="IsSupported"/>); never waits: the caller waits for readability first. The
/// buffers are pinned once, on the pinned object heap, and reused: a datagram's span is valid until the next
/// <see cref="Receive"/>.
/// </summary>
internal sealed partial class DatagramBatch
{
    private const int MessageDontWait = 0x40;
    private const int NameSize = 128; // sockaddr_storage
    private const int TryAgain = 11; // EAGAIN
    private const int Interrupted = 4; // EINTR
    private readonly byte[] _data;
    private readonly byte[] _names;
    private readonly IoVector[] _vectors;
    private readonly MultiMessageHeader[] _headers;
    private readonly int _bufferSize;

    /// <summary>True on 64-bit Linux, where <c>recvmmsg</c> and the layouts below hold.</summary>
    public static bool IsSupported { get; } = OperatingSystem.IsLinux() && Environment.Is64BitProcess;

    /// <summary>Room for <paramref name="count"/> datagrams of <paramref name="bufferSize"/> bytes each (a longer one comes truncated).</summary>
    public unsafe DatagramBatch(int count, int bufferSize)
    {
        _bufferSize = bufferSize;
        _data = GC.AllocateUninitializedArray<byte>(count * bufferSize, pinned: true);
        _names = GC.AllocateArray<byte>(count * NameSize, pinned: true);
        _vectors = GC.AllocateArray<IoVector>(count, pinned: true);
        _headers = GC.AllocateArray<MultiMessageHeader>(count, pinned: true);
        var data = (byte*)Marshal.UnsafeAddrOfPinnedArrayElement(_data, 0);
        var names = (byte*)Marshal.UnsafeAddrOfPinnedArrayElement(_names, 0);
        var vectors = (IoVector*)Marshal.UnsafeAddrOfPinnedArrayElement(_vectors, 0);
        for (var i = 0; i < count; i++)
        {
            _vectors[i] = new IoVector { Base = data + (i * bufferSize), Length = (nuint)bufferSize };
            _headers[i].Header.Iov = vectors + i;
            _headers[i].Header.IovLength = 1;
            _headers[i].Header.Name = names + (i * NameSize);
        }
    }

    /// <summary>
    /// Reads the datagrams queued now, up to the batch: how many (0 when none is queued). A socket error
    /// (e.g. one left by an ICMP message) is thrown as <see cref="SocketException"/>, a closed socket as
    /// <see cref="ObjectDisposedException"/>.
    /// </summary>
    public unsafe int Receive(Socket socket)
    {
        for (var i = 0; i < _headers.Length; i++)
        {
            _headers[i].Header.NameLength = NameSize; // in: room; out: the sender's address length
            _headers[i].Header.Flags = 0;
        }
        var handle = socket.SafeHandle;
        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            int received;
            do
            {
                received = ReceiveMultiple(handle.DangerousGetHandle(), (MultiMessageHeader*)Marshal.UnsafeAddrOfPinnedArrayElement(_headers, 0), (uint)_headers.Length, MessageDontWait, 0);
            }
            while (received < 0 && Marshal.GetLastPInvokeError() == Interrupted);
            if (received >= 0)
            {
                return received;
            }
            var error = Marshal.GetLastPInvokeError();
            return error == TryAgain ? 0 : throw new SocketException(error);
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    /// <summary>The <paramref name="index"/>th datagram of the last <see cref="Receive"/>.</summary>
    public ReadOnlySpan<byte> Datagram(int index) => _data.AsSpan(index * _bufferSize, (int)Math.Min(_headers[index].Length, (uint)_bufferSize));

    /// <summary>Copies the sender of the <paramref name="index"/>th datagram into <paramref name="from"/>; false if it does not fit (not an IP sender).</summary>
    public bool TryReadSender(int index, SocketAddress from)
    {
        var length = (int)_headers[index].Header.NameLength;
        if (length > NameSize || length > from.Buffer.Length)
        {
            return false;
        }
        _names.AsSpan(index * NameSize, length).CopyTo(from.Buffer.Span);
        from.Size = length;
        return true;
    }

    [LibraryImport("libc", EntryPoint = "recvmmsg", SetLastError = true)]
    private static unsafe partial int ReceiveMultiple(nint socket, MultiMessageHeader* messages, uint count, int flags, nint timeout);

    [StructLayout(LayoutKind.Sequential)]
    private unsafe struct IoVector
    {
        public byte* Base;
        public nuint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    private unsafe struct MessageHeader
    {
        public byte* Name;
        public uint NameLength;
        public IoVector* Iov;
        public nuint IovLength;
        public nint Control;
        public nuint ControlLength;
        public int Flags;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct MultiMessageHeader
    {
        public MessageHeader Header;
        public uint Length;
    }
}
