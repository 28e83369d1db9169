"""Prints FizzBuzz from 1 to N (the first argument)."""
import sys


def line(i):
    if i % 3 == 0:
        return "Fizz"
    if i % 5 == 0:
        return "Buzz"
    if i % 15 == 0:
        return "FizzBuzz"
    return str(i)


if __name__ == "__main__":
    for i in range(1, int(sys.argv[1]) + 1):
        print(line(i))
