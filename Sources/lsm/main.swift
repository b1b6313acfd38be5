import LSMTools

LSMCommand.main()
