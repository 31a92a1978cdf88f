namespace Burrow; internal static class Placeholder { }
